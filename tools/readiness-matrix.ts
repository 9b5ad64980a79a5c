/**
 * docs/readiness.md, the traceability matrix: for every readiness registry item (shared/src/readiness.ts)
 * the runbook lines it comes from, its numbers per environment, and where it is enforced: the config
 * schema's prod rules (config/readiness-rules.ts), the components that build it and the driver / gate
 * steps that check it (`// @readiness <id> …: <how>` markers in components/, rollout/, gate/), the
 * policies that name it, and the tests that break it (violating policy fixtures, config rule examples).
 * Written by `npm run gen`; `-- --check` fails when stale; test/policy/readiness.test.ts fails when an item
 * has no enforcement.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { READINESS, READINESS_IDS, type ReadinessId, type ReadinessItem, RUNBOOK_FILES } from "@app-rollout/shared";
import { PROD_RULES } from "../config/readiness-rules";
import { allPolicies } from "../policy/policies";
import { fixtures } from "../test/policy/fixtures";
import { RULE_EXAMPLES } from "../test/support/readiness-examples";

const ROOT = path.join(__dirname, "..");
export const READINESS_DOCS_FILE = "docs/readiness.md";
/** Where `@readiness` markers are read: components build an item, the driver and the gate check one. */
export const MARKER_DIRS = { component: ["components"], driver: ["rollout", "gate"] } as const;

export interface Marker {
  ids: string[];
  how: string;
  file: string;
  line: number;
}

const MARKER = /^\/\/ @readiness ([a-z0-9 -]+): (.+)$/;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const f = path.join(dir, e);
    return statSync(f).isDirectory() ? tsFiles(f) : f.endsWith(".ts") ? [f] : [];
  });
}

/** Every `// @readiness <ids>: <how>` line under the given directories (paths relative to the root). */
export function readinessMarkers(dirs: readonly string[], root = ROOT): Marker[] {
  return dirs.flatMap((d) =>
    tsFiles(path.join(root, d)).flatMap((f) =>
      readFileSync(f, "utf8")
        .split("\n")
        .flatMap((text, i) => {
          const m = MARKER.exec(text.trim());
          return m ? [{ ids: m[1].trim().split(/\s+/), how: m[2], file: path.relative(root, f), line: i + 1 }] : [];
        }),
    ),
  );
}

/** The items a policy fixture breaks: its own `item`, or the only item its policy enforces. */
export function fixtureItem(f: { policy: string; item?: ReadinessId }): ReadinessId | undefined {
  if (f.item) return f.item;
  const p = allPolicies.find((x) => x.name === f.policy);
  return p?.readiness.length === 1 ? p.readiness[0] : undefined;
}

export interface Enforcement {
  config: string[];
  component: string[];
  policy: string[];
  driver: string[];
  tests: string[];
}

/** Where each item is enforced and tested. */
export function enforcementOf(id: ReadinessId): Enforcement {
  const marked = (dirs: readonly string[]) =>
    readinessMarkers(dirs)
      .filter((m) => m.ids.includes(id))
      .map((m) => `${text(m.how)} (\`${m.file}\`)`);
  const policyFixtures = fixtures.filter((f) => fixtureItem(f) === id);
  const examples = RULE_EXAMPLES.filter((e) => e.item === id);
  return {
    config: PROD_RULES.filter((r) => r.item === id).map((r) => `\`app:${r.path.join(".")}\` (prod)`),
    component: marked(MARKER_DIRS.component),
    policy: allPolicies.filter((p) => p.readiness.includes(id)).map((p) => `[\`${p.name}\`](policies.md#${p.name})`),
    driver: marked(MARKER_DIRS.driver),
    tests: [
      ...policyFixtures.map((f) => text(`${f.policy}: ${f.what} (${f.stack})`)),
      ...examples.map((e) => text(`config: ${e.what}`)),
    ],
  };
}

function sourceCell(item: ReadinessItem): string {
  return item.source
    .map((s) => {
      const [a, b] = s.lines;
      const lines = a === b ? `${a}` : `${a}-${b}`;
      return `[${s.runbook}:${lines}](${path.relative("docs", RUNBOOK_FILES[s.runbook])}#L${a}) "${text(s.quote)}"`;
    })
    .join("<br>");
}

function thresholdCell(item: ReadinessItem): string {
  return Object.entries(item.thresholds ?? {})
    .map(([k, t]) => `\`${k}\` ${t.staging} / ${t.prod} (${t.meaning})`)
    .join("<br>");
}

const cell = (xs: string[]) => (xs.length ? xs.join("<br>") : "—");
/** Text in a table cell: `<commit>` would be read as an HTML tag, `|` as a column. */
const text = (s: string) => s.replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/\|/g, "\\|");

export function readinessDocs(): string {
  const out = [
    "# Readiness traceability matrix",
    "",
    "Generated from the readiness registry (`shared/src/readiness.ts`) by `npm run gen`; do not edit by hand.",
    "",
    "One row per runbook checklist item the product enforces: where it comes from (the runbooks are copied in",
    "[runbooks/](runbooks/)), its numbers (staging / prod: the config schema, `policy/config/<stack>.json` and",
    "the policies' defaults read them from the registry), and every place that enforces it: the config",
    "schema's prod rules, the components that build it, the policies that judge the plan, the driver and",
    "gate steps that check it live, and the tests that break it. `test/policy/readiness.test.ts` fails when",
    "an item has no enforcement, when a policy names an item no violating fixture of it breaks, or when a",
    "runbook reference no longer quotes its lines.",
    "",
    "| Item | Runbook | Numbers (staging / prod) | Config rule | Component | Policy | Driver / gate | Tests |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const id of READINESS_IDS) {
    const item: ReadinessItem = READINESS[id];
    const e = enforcementOf(id);
    out.push(
      `| <a id="${id}"></a>**${id}**<br>${text(item.title)}${item.notEnforced ? `<br>*Gap:* ${text(item.notEnforced)}` : ""} | ${sourceCell(item)} | ${thresholdCell(item) || "—"} | ${cell(e.config)} | ${cell(e.component)} | ${cell(e.policy)} | ${cell(e.driver)} | ${cell(e.tests)} |`,
    );
  }
  out.push("");
  return out.join("\n");
}
