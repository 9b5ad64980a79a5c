/**
 * Generates docs/policies.md from the policy objects and the per-stack policy config files, so the table
 * "checklist item → policy → severity → enforcement per stack" cannot drift from the pack.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { type PackInfo, resolvePolicyConfig } from "../gate/analyzer";
import type { ReadinessPolicy } from "../policy/lib/define";
import { allPolicies } from "../policy/policies";

const ROOT = path.join(__dirname, "..");
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

export function policyDocs(): string {
  const info = packInfoOf(allPolicies);
  const resolved = Object.fromEntries(
    STACKS.map((s) => [
      s,
      resolvePolicyConfig(info, JSON.parse(readFileSync(path.join(ROOT, "policy", "config", `${s}.json`), "utf8"))),
    ]),
  );
  const cell = (s: string, name: string) => {
    const c = resolved[s][name];
    const props = Object.entries(c.properties).filter(([k]) => k !== "at");
    return `${c.enforcementLevel}${props.length ? ` (${props.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")})` : ""}`;
  };
  const out = [
    "# Readiness policies",
    "",
    "Generated from `policy/policies/` and `policy/config/<stack>.json` by `npm run gen`; do not edit by hand.",
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
    "| Checklist item (runbook) | Policy | Kind | Severity | staging | prod |",
    "|---|---|---|---|---|---|",
  ];
  for (const p of [...allPolicies].sort((a, b) => a.runbook.localeCompare(b.runbook) || a.name.localeCompare(b.name))) {
    const kind = "validateStack" in p ? "stack" : "resource";
    out.push(
      `| ${p.runbook} | [\`${p.name}\`](#${p.name}) | ${kind} | ${p.severity} | ${cell("staging", p.name)} | ${cell("prod", p.name)} |`,
    );
  }
  out.push("", "## Policies", "");
  for (const p of allPolicies) {
    out.push(
      `### ${p.name}`,
      "",
      p.description,
      "",
      `- Runbook item: ${p.runbook}`,
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
