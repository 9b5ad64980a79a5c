/**
 * The readiness registry (shared/src/readiness.ts) against everything that claims to enforce it (#17): a
 * runbook reference must quote its lines; every item must be checked somewhere (a policy, a config rule or
 * a driver / gate step); a policy may only name items a violating fixture of it breaks (the fixtures
 * themselves run in <area>.test.ts and preview.test.ts); every config rule has an example that breaks
 * it; every threshold is read by some code; the generated policy config carries the registry's numbers.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { type Env, READINESS, READINESS_IDS, type ReadinessItem, RUNBOOK_FILES } from "@app-rollout/shared";
import { PROD_RULES } from "../../config/readiness-rules";
import { allPolicies } from "../../policy/policies";
import { ENFORCEMENT, thresholdProperties } from "../../tools/policy-config";
import { enforcementOf, fixtureItem, MARKER_DIRS, readinessMarkers } from "../../tools/readiness-matrix";
import { RULE_EXAMPLES } from "../support/readiness-examples";
import { ROOT } from "../support/stacks";
import { fixtures } from "./fixtures";

/** Policies whose items are broken by dedicated tests rather than plan fixtures, and where. */
const TESTED_ELSEWHERE: Record<string, { file: string; title: string }> = {
  "release-metadata": {
    file: "test/policy/release.test.ts",
    title: "release-metadata: a stack config without rollback owner is refused",
  },
  "release-window": {
    file: "test/policy/release.test.ts",
    title: "release-window: a deploy outside the window is refused",
  },
};

const items = READINESS_IDS.map((id) => [id, READINESS[id] as ReadinessItem] as const);

describe("readiness registry (one definition per checklist item)", () => {
  it("every runbook reference quotes the lines it cites", () => {
    const wrong: string[] = [];
    for (const [id, item] of items) {
      for (const s of item.source) {
        const lines = readFileSync(path.join(ROOT, RUNBOOK_FILES[s.runbook]), "utf8").split("\n");
        const cited = lines.slice(s.lines[0] - 1, s.lines[1]).join("\n");
        if (s.lines[1] < s.lines[0] || s.lines[1] > lines.length || !cited.includes(s.quote))
          wrong.push(`${id}: ${s.runbook}:${s.lines.join("-")} does not contain "${s.quote}"`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("every item is checked by a policy, a config rule or a driver / gate step", () => {
    const unchecked = READINESS_IDS.filter((id) => {
      const e = enforcementOf(id);
      return e.policy.length + e.config.length + e.driver.length === 0;
    });
    assert.deepEqual(unchecked, []);
  });

  it("every @readiness marker names registry items", () => {
    const markers = readinessMarkers([...MARKER_DIRS.component, ...MARKER_DIRS.driver]);
    assert.ok(markers.length >= 20, `${markers.length} markers`);
    const unknown = markers.flatMap((m) =>
      m.ids.filter((id) => !(id in READINESS)).map((id) => `${m.file}:${m.line}: ${id}`),
    );
    assert.deepEqual(unknown, []);
  });

  it("a policy names only items a violating fixture of it breaks", () => {
    const unbroken: string[] = [];
    for (const p of allPolicies) {
      const elsewhere = TESTED_ELSEWHERE[p.name];
      if (elsewhere) {
        assert.ok(readFileSync(path.join(ROOT, elsewhere.file), "utf8").includes(elsewhere.title), elsewhere.title);
        continue;
      }
      for (const id of p.readiness)
        if (!fixtures.some((f) => f.policy === p.name && fixtureItem(f) === id)) unbroken.push(`${p.name} → ${id}`);
    }
    assert.deepEqual(unbroken, [], "claims without a fixture that breaks them");
  });

  it("a fixture breaks an item its policy names (explicitly when the policy names several)", () => {
    const wrong = fixtures.flatMap((f) => {
      const p = allPolicies.find((x) => x.name === f.policy);
      const item = fixtureItem(f);
      return p && item && p.readiness.includes(item) ? [] : [`${f.policy}: ${f.what} (item ${item ?? "unknown"})`];
    });
    assert.deepEqual(wrong, []);
  });

  it("every prod config rule has an example that breaks it (run in schema.test.ts), and every example a rule", () => {
    for (const r of PROD_RULES) {
      const key = `app:${r.path.join(".")}`;
      assert.ok(
        RULE_EXAMPLES.some((e) => e.item === r.item && e.key === key),
        `no example for ${r.item} at ${key}`,
      );
    }
    // Each example runs in test/config/schema.test.ts: rejected at its key, naming its item, with the fix.
    for (const e of RULE_EXAMPLES)
      assert.ok(
        PROD_RULES.some((r) => r.item === e.item && `app:${r.path.join(".")}` === e.key),
        `example ${e.what} breaks no rule`,
      );
  });

  it("every threshold is read by the code (config, components, policies, driver)", () => {
    // The code that reads thresholds outside the policies' config (schema rules and defaults, a component
    // assertion, the DR drill's cadence): a call `threshold…("<item>", "<name>", …)` in one of them.
    const code = [
      "config/schema.ts",
      "config/defaults.ts",
      "config/readiness-rules.ts",
      "components/app-secrets.ts",
      "components/color-alarms.ts",
      "program/context.ts",
      "rollout/dr-drill/drill.ts",
    ]
      .map((f) => readFileSync(path.join(ROOT, f), "utf8"))
      .join("\n");
    const unread: string[] = [];
    for (const [id, item] of items)
      for (const name of Object.keys(item.thresholds ?? {})) {
        const byPolicy = allPolicies.some((p) => p.readiness.includes(id) && name in thresholdProperties(p, "prod"));
        const byCode = code.includes(`"${id}", "${name}"`);
        if (!byPolicy && !byCode) unread.push(`${id}.${name}`);
      }
    assert.deepEqual(unread, []);
  });

  for (const stack of ["staging", "prod"] as const satisfies readonly Env[]) {
    it(`policy/config/${stack}.json carries the registry's ${stack} numbers and the enforcement levels`, () => {
      const file = JSON.parse(readFileSync(path.join(ROOT, "policy", "config", `${stack}.json`), "utf8"));
      assert.equal(file.all, ENFORCEMENT[stack].all);
      const pitr = allPolicies.find((p) => p.name === "data-pitr-retention")!;
      assert.deepEqual(file["data-pitr-retention"], thresholdProperties(pitr, stack));
      assert.equal(file["data-pitr-retention"].minimumDays, READINESS["pitr-retention"].thresholds.minimumDays[stack]);
      for (const p of allPolicies) {
        const props = thresholdProperties(p, stack);
        if (Object.keys(props).length) assert.deepEqual(file[p.name], props, p.name);
      }
    });
  }
});
