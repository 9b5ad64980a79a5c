/**
 * Generates docs/policies.md from the policy objects and the per-stack policy config files, so the table
 * "checklist item → policy → severity → enforcement per stack" cannot drift from the pack.
 */
import { type PackInfo, resolvePolicyConfig } from "../gate/analyzer";
import { type ReadinessPolicy, runbookItems } from "../policy/lib/define";
import { allPolicies } from "../policy/policies";
import { policyConfigFile } from "./policy-config";

export const POLICY_DOCS_FILE = "docs/policies.md";
const STACKS = ["staging", "prod"];

export function packInfoOf(policies: ReadinessPolicy[]): PackInfo {
  return {
    name: "app-readiness",
    version: "",
    policies: policies.map((p) => ({
      name: p.name,
      description: p.description,
      enforcementLevel: p.enforcementLevel,
      severity: p.severity,
      configProperties: (p.configSchema?.properties ?? {}) as PackInfo["policies"][number]["configProperties"],
    })),
  };
}

/** docs/policies.md "Enforcement timing": when Pulumi runs each kind of policy, and what the pack does about it. */
const ENFORCEMENT_TIMING = [
  "## Enforcement timing",
  "",
  "When each kind of policy runs (Pulumi CLI v3.248, `pkg/resource/deploy/deployment_executor.go` and",
  "`step_generator.go`): during `pulumi up`, **resource** policies run before each resource's step (a",
  "mandatory violation stops the update before that change), **stack** policies only after the update's",
  "changes were applied (a violation fails the update, but the changes are made). During `pulumi preview`",
  "both run, on planned values: computed outputs of resources being created (ARNs, ids, addresses) are",
  "unknown, and a policy that reads one is turned by `@pulumi/policy` into an advisory \"can't run … during",
  'preview". So the policies relate resources by URN (`propertyDependencies`), tags and inputs known before',
  "creation, and treat an unknown key ARN as one the stack computes; `npm run gate -- --stack <s> --preview`",
  "judges the plan the way a fresh preview sends it and lists what could not run (none today; test:",
  "`test/policy/preview.test.ts`, every violating fixture caught at preview). Because stack policies act",
  "after the changes, the pipeline and the rollout driver run the offline gate on every config before its",
  "`up`.",
  "",
];

/** docs/policies.md "Publishing the pack": the self-contained tarball `pulumi policy publish` ships. */
const PUBLISHING = [
  "## Publishing the pack",
  "",
  "The pack is self-contained: `policy/` imports only its own files, `@app-rollout/shared` (names, labels,",
  "tags, colors, image parsing, placeholders, the readiness registry; `shared/`) and `@pulumi/policy` /",
  "`@pulumi/pulumi`, and `policy/package.json` declares every runtime dependency. `pulumi policy publish`",
  "runs `npm pack` in the pack directory and a stack that requires the pack `npm install`s the extracted",
  "tarball. `npm run pack:policy` type-checks `policy/` with its own `tsconfig.json` (a type error stops",
  "it, naming file and line) and stages `build/policy-pack/`: the pack compiled to JavaScript (the files",
  "of `build/policy`, the code the gate judges; `main` is `index.js`), `PulumiPolicy.yaml` (with",
  "`typescript: false`), the per-stack config files and the shared package vendored in `vendor/shared`,",
  "depended on as `file:vendor/shared` so no install ever asks a registry for that name. It packs that to",
  "`build/`. Compiled, the pack starts without type-checking: the CLI's `run-policy-pack` type-checks",
  "every `.ts` file it loads, ~3 s of CPU at each `pulumi preview` / `up`; TypeScript and ts-node are",
  "not dependencies of the tarball (they stay in `policy/`, which `--policy-pack policy` runs as",
  "TypeScript). `npm pack` in `policy/` itself is refused (prepack): there the shared package would be a",
  "registry dependency. `PulumiPolicy.yaml` pins npm as the package manager.",
  "",
  "```bash",
  "npm run pack:policy",
  "(cd build/policy-pack && pulumi policy publish <org>)",
  "pulumi policy enable <org>/app-readiness latest --policy-group <group> --config policy/config/prod.json",
  "```",
  "",
  "`test/policy/published-pack.test.ts` extracts that tarball into an empty directory, installs its",
  "dependencies (`PACK_TEST_INSTALL=npm`: from the registry, as CI does), starts it with the CLI's own",
  "`@pulumi/pulumi/cmd/run-policy-pack` and the environment the language host derives from the shipped",
  "`PulumiPolicy.yaml`, and drives it over gRPC: the committed prod plan passes and the prod violating",
  "fixtures are refused (all of them in the CI step that installs from the registry, one per policy area",
  "in `npm test`). It also checks that a pack that does not type-check is not packed; `npm run typecheck`",
  "type-checks `policy/` with its own `tsconfig.json` too.",
  "",
];

export function policyDocs(): string {
  const info = packInfoOf(allPolicies);
  const resolved = Object.fromEntries(
    STACKS.map((s) => [s, resolvePolicyConfig(info, JSON.parse(policyConfigFile(s)))]),
  );
  const cell = (s: string, name: string) => {
    const c = resolved[s][name];
    const props = Object.entries(c.properties).filter(([k]) => k !== "at");
    return `${c.enforcementLevel}${props.length ? ` (${props.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")})` : ""}`;
  };
  const out = [
    "# Readiness policies",
    "",
    "Generated from `policy/policies/`, the readiness registry (`shared/src/readiness.ts`) and the enforcement levels (`tools/policy-config.ts`) by `npm run gen`, like `policy/config/<stack>.json`; do not edit by hand.",
    "",
    "The CrossGuard pack in `policy/` enforces the production readiness checklist before `pulumi up`:",
    "",
    "```bash",
    "pulumi preview --stack prod --policy-pack policy --policy-pack-config policy/config/prod.json",
    "npm run gate -- --stack prod      # the same pack, offline, through the same analyzer protocol",
    "```",
    "",
    "Enforcement per stack comes from `policy/config/<stack>.json` (staging: advisory except the checks that",
    "must never slip; prod: mandatory). A policy's config properties default to the values shown.",
    "",
    ...ENFORCEMENT_TIMING,
    ...PUBLISHING,
    "| Checklist item (runbook) | Policy | Kind | Severity | staging | prod |",
    "|---|---|---|---|---|---|",
  ];
  for (const p of [...allPolicies].sort(
    (a, b) => runbookItems(a).localeCompare(runbookItems(b)) || a.name.localeCompare(b.name),
  )) {
    const kind = "validateStack" in p ? "stack" : "resource";
    out.push(
      `| ${runbookItems(p)} | [\`${p.name}\`](#${p.name}) | ${kind} | ${p.severity} | ${cell("staging", p.name)} | ${cell("prod", p.name)} |`,
    );
  }
  out.push("", "## Policies", "");
  for (const p of allPolicies) {
    out.push(
      `### ${p.name}`,
      "",
      p.description,
      "",
      `- Readiness items: ${p.readiness.map((id) => `[${id}](readiness.md#${id})`).join(", ")} (${runbookItems(p)})`,
      `- Severity: ${p.severity}; default enforcement: ${p.enforcementLevel}`,
      `- Remediation: ${p.remediationSteps}`,
    );
    const props = Object.entries(p.configSchema?.properties ?? {});
    if (props.length)
      out.push(
        `- Config: ${props.map(([k, v]) => `\`${k}\` (default \`${JSON.stringify((v as { default?: unknown }).default)}\`)`).join(", ")}`,
      );
    out.push("");
  }
  return out.join("\n");
}
