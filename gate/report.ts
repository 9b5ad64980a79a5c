/** Renders a gate report as colored text (terminals), Markdown (CI job summaries, PR comments) or JSON. */
import { formatProblems } from "../config/load";
import { mermaid } from "./graph";
import { kubernetesFindings } from "./kubernetes/check-plan";
import type { GateReport, Violation } from "./run";

const blocking = (e: string) => e === "mandatory" || e === "remediate";

/** The policies that could not run, each once: mandatory ones first, with the first reason seen. */
export function notRunPolicies(
  r: GateReport,
): { policy: string; enforcement: string; where: string; reason: string }[] {
  const seen = new Map<string, { policy: string; enforcement: string; where: string; reason: string }>();
  for (const n of r.notRun ?? [])
    if (!seen.has(n.policy))
      seen.set(n.policy, {
        policy: n.policy,
        enforcement: n.enforcement,
        where: n.resourceType ? `${n.resourceType} ${n.resourceName}` : "(stack)",
        reason: n.reason,
      });
  return [...seen.values()].sort(
    (a, b) => Number(blocking(b.enforcement)) - Number(blocking(a.enforcement)) || a.policy.localeCompare(b.policy),
  );
}

function counts(r: GateReport) {
  const mandatory = r.violations.filter((v) => blocking(v.enforcement)).length;
  const kubernetes = r.kubernetes ? kubernetesFindings(r.kubernetes, r.stack).length : 0;
  const notRun = notRunPolicies(r);
  return {
    mandatory,
    advisory: r.violations.length - mandatory,
    kubernetes,
    notRunMandatory: notRun.filter((n) => blocking(n.enforcement)).length,
    notRun: notRun.length,
  };
}

/** What could not be judged: a preview reports these as advisory "can't run", so nothing blocks on them. */
function notRunLines(r: GateReport): string[] {
  const list = notRunPolicies(r);
  if (list.length === 0) return [];
  const c = counts(r);
  return [
    "",
    `${c.notRun} policies could not run (${c.notRunMandatory} mandatory): they read a value unknown until the update runs.`,
    ...list.map((n) => `  ? ${n.enforcement.padEnd(9)} ${n.policy}  ${n.where}: ${n.reason}`),
  ];
}

/** One line on the Kubernetes validation: what was validated against which schemas. */
function kubernetesLine(r: GateReport): string | undefined {
  const k = r.kubernetes;
  if (!k) return undefined;
  return `Kubernetes ${k.version}: ${k.validated} object(s) validated against ${k.schemas.kubernetes ?? "no schema"} and ${k.schemas.crds.length} vendored CRD(s); ${k.invalid.length} invalid, ${k.requirements.filter((q) => !q.ok).length} version requirement(s) unmet.`;
}

export function summaryLine(r: GateReport): string {
  if (r.decision === "invalid-config")
    return `INVALID CONFIG: ${r.problems.length} problem(s) in stack '${r.stack}' — nothing was evaluated.`;
  const c = counts(r);
  const verdict = r.decision === "go" ? "GO" : "NO-GO";
  const k8s = c.kubernetes ? `, ${c.kubernetes} Kubernetes finding(s)` : "";
  return `${verdict}: ${c.mandatory} mandatory, ${c.advisory} advisory violation(s)${k8s} — ${r.resourceCount} resources, stack '${r.stack}', at ${r.at}.`;
}

function where(v: Violation): string {
  return v.resourceType ? `${v.resourceType} ${v.resourceName}` : "(stack)";
}

export function renderText(r: GateReport, color: boolean): string {
  const c = (code: string, s: string) => (color ? `\u001b[${code}m${s}\u001b[0m` : s);
  if (r.decision === "invalid-config") return `${formatProblems(r.problems, r.stack)}\n\n${c("31;1", summaryLine(r))}`;
  const lines: string[] = [];
  if (r.pack)
    lines.push(
      `Readiness gate — stack '${r.stack}', ${r.resourceCount} resources, ${r.pack.policies} policies (${r.pack.name}@${r.pack.version}${r.pack.configFile ? `, ${r.pack.configFile}` : ""}), at ${r.at}`,
    );
  if (r.placeholders.length)
    lines.push(
      c(
        "2",
        `Note: ${r.placeholders.join(", ")} are encrypted in the stack file and were replaced by placeholders (not decrypted offline).`,
      ),
    );
  lines.push("");
  for (const v of r.violations) {
    const mark = v.enforcement === "mandatory" || v.enforcement === "remediate" ? c("31", "✗") : c("33", "!");
    lines.push(`${mark} ${v.enforcement.padEnd(9)} ${(v.severity || "-").padEnd(8)} ${c("1", v.policy)}  ${where(v)}`);
    lines.push(`    ${v.message}`);
  }
  if (r.violations.length === 0) lines.push(c("32", "✓ every policy that ran passed"));
  lines.push(...notRunLines(r).map((l) => c("33", l)));
  const k8s = kubernetesLine(r);
  if (k8s) lines.push("", c("2", k8s));
  for (const f of r.kubernetes ? kubernetesFindings(r.kubernetes, r.stack) : []) {
    lines.push(`${c("31", "✗")} mandatory ${"".padEnd(8)} ${c("1", f.check)}  ${f.resourceName}`);
    lines.push(`    ${f.message}`);
  }
  lines.push("", r.decision === "go" ? c("32;1", summaryLine(r)) : c("31;1", summaryLine(r)));
  return lines.join("\n");
}

function md(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function renderMarkdown(r: GateReport): string {
  const icon = r.decision === "go" ? "✅ GO" : r.decision === "no-go" ? "⛔ NO-GO" : "⛔ INVALID CONFIG";
  const lines = [`## Readiness gate: \`${r.stack}\` — ${icon}`, "", summaryLine(r), ""];
  if (r.decision === "invalid-config") {
    lines.push("| Key | Expected | Found | Fix |", "|---|---|---|---|");
    for (const p of r.problems) lines.push(`| \`${p.key}\` | ${md(p.expected)} | ${md(p.found)} | \`${md(p.fix)}\` |`);
    return lines.join("\n");
  }
  if (r.placeholders.length)
    lines.push(
      `> Secrets ${r.placeholders.map((k) => `\`${k}\``).join(", ")} were replaced by placeholders (not decrypted offline).`,
      "",
    );
  if (r.violations.length > 0) {
    lines.push("| Enforcement | Severity | Policy | Resource | Message |", "|---|---|---|---|---|");
    for (const v of r.violations)
      lines.push(`| ${v.enforcement} | ${v.severity || "-"} | \`${v.policy}\` | ${md(where(v))} | ${md(v.message)} |`);
  } else {
    lines.push(`Every policy of ${r.pack?.name ?? "the pack"} that ran passed.`);
  }
  const notRun = notRunPolicies(r);
  if (notRun.length) {
    lines.push("", "| Could not run | Enforcement | First resource | Unknown value |", "|---|---|---|---|");
    for (const n of notRun) lines.push(`| \`${n.policy}\` | ${n.enforcement} | ${md(n.where)} | ${md(n.reason)} |`);
  }
  const k8s = kubernetesLine(r);
  if (k8s) lines.push("", k8s);
  const findings = r.kubernetes ? kubernetesFindings(r.kubernetes, r.stack) : [];
  if (findings.length) {
    lines.push("", "| Check | Resource | Message |", "|---|---|---|");
    for (const f of findings) lines.push(`| \`${f.check}\` | ${md(f.resourceName)} | ${md(f.message)} |`);
  }
  if (r.plan) lines.push("", "### Deployment order", "", "```mermaid", mermaid(r.plan), "```");
  return lines.join("\n");
}

export function renderJson(r: GateReport): string {
  const { plan: _plan, ...rest } = r;
  return JSON.stringify(
    { ...rest, notRunPolicies: notRunPolicies(r), summary: { ...counts(r), line: summaryLine(r) } },
    null,
    2,
  );
}
