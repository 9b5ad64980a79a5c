/**
 * `npm run gate -- --stack <name>`: the offline readiness gate. Three modes:
 *   --stack <s>                     validate config, run the program under mocks, run the policy pack → go/no-go
 *   --stack <s> --compare <ref|file> what a config change touches (resources added, removed, changed)
 *   --parity <a> <b>                differences between two stacks' plans beyond parity.json
 *
 * Exit codes: 0 go / no unexpected difference; 1 no-go (a mandatory violation) / parity differences;
 * 2 invalid config, unreadable files, bad arguments or a program error — as a message, never a stack trace.
 */
import { parseArgs } from "node:util";
import { formatProblems } from "../config/load";
import { PolicyPackError } from "./analyzer";
import { compareStack } from "./compare";
import { formatDiff } from "./diff";
import type { Evaluator } from "./evaluator";
import { checkParity, type ParityDifference } from "./parity";
import { writePlanFile } from "./plan-file";
import { renderJson, renderMarkdown, renderText } from "./report";
import { runGate } from "./run";
import { StackFileError } from "./stackfiles";

export const USAGE = `Usage:
  npm run gate -- --stack <name> [options]              readiness gate: config, program, policy pack → go/no-go
  npm run gate -- --stack <name> --compare <ref|file>   what the config change since a git ref (or vs a file) touches
  npm run gate -- --parity <stack> <stack>              plan differences beyond parity.json

Options:
  --stack <name>          stack to check, e.g. staging or prod
  --format <fmt>          text (default, colored on a terminal), markdown, json
  --at <ISO time|window>  evaluate the release window at this time, or at the start of the stack's window
                          (CI checks everything but the clock; rollout start checks the real clock)
  --preview               judge the plan as a preview of a fresh stack sends it (computed values unknown) and
                          list the policies that cannot run then (docs/policies.md "Enforcement timing")
  --plan-out <file>       write the captured plan (pulumi preview --json-like steps, see docs/gate.md)
  --policy-config <file>  policy pack config (default: policy/config/<stack>.json)
  --dir <path>            project directory holding Pulumi.yaml (default: current directory)
  --color / --no-color    force colors on or off (NO_COLOR is honoured)
  -h, --help              show this help

Exit codes: 0 go, 1 no-go (mandatory violation) or parity differences, 2 invalid configuration, bad arguments or program error.`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  isTTY?: boolean;
}

const consoleIo: Io = {
  out: (s) => process.stdout.write(`${s}\n`),
  err: (s) => process.stderr.write(`${s}\n`),
  isTTY: process.stdout.isTTY,
};

type Format = "text" | "markdown" | "json";

class UsageError extends Error {}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string" },
      dir: { type: "string" },
      format: { type: "string" },
      at: { type: "string" },
      "plan-out": { type: "string" },
      preview: { type: "boolean" },
      "policy-config": { type: "string" },
      compare: { type: "string" },
      parity: { type: "boolean" },
      color: { type: "boolean" },
      "no-color": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
  });
  const format = (values.format ?? "text") as Format;
  if (!["text", "markdown", "json"].includes(format))
    throw new UsageError(`--format must be text, markdown or json, got '${values.format}'`);
  let at: Date | "window" | undefined;
  if (values.at === "window") at = "window";
  else if (values.at !== undefined) {
    at = new Date(values.at);
    if (Number.isNaN(at.getTime()) || !/^\d{4}-\d{2}-\d{2}T/.test(values.at))
      throw new UsageError(`--at must be an ISO-8601 time such as 2026-11-25T10:00:00Z, got '${values.at}'`);
  }
  if (values.parity && positionals.length !== 2)
    throw new UsageError(`--parity takes two stack names, e.g. --parity staging prod`);
  if (!values.parity && positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (!values.parity && !values.help && !values.stack) throw new UsageError("--stack is required");
  return { values, positionals, format, at };
}

/** `o.evaluator`: a warm evaluator of the same project directory to reuse (tests); its owner closes it. */
export async function main(argv: string[], io: Io = consoleIo, o: { evaluator?: Evaluator } = {}): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, format } = args;
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const color = values["no-color"] ? false : values.color ? true : !!io.isTTY && !process.env.NO_COLOR;
  const dir = values.dir ?? process.cwd();
  try {
    if (values.parity) return await parity(dir, args.positionals as [string, string], format, io);
    const stack = values.stack!;
    if (values.compare) return await compare(dir, stack, values.compare, format, io);

    const report = await runGate({
      dir,
      stack,
      at: args.at,
      preview: values.preview,
      policyConfigFile: values["policy-config"],
      evaluator: o.evaluator,
    });
    if (values["plan-out"] && report.plan) writePlanFile(values["plan-out"], report.plan);
    const rendered =
      format === "json"
        ? renderJson(report)
        : format === "markdown"
          ? renderMarkdown(report)
          : renderText(report, color);
    if (report.decision === "invalid-config" && format === "text") io.err(rendered);
    else io.out(rendered);
    return report.decision === "go" ? 0 : report.decision === "no-go" ? 1 : 2;
  } catch (e) {
    if (e instanceof StackFileError || e instanceof PolicyPackError) {
      io.err(e.message);
      return 2;
    }
    const err = e as Error;
    io.err(`The program failed under the offline gate: ${err.message}`);
    io.err(process.env.GATE_DEBUG ? (err.stack ?? "") : "(set GATE_DEBUG=1 for the stack trace)");
    return 2;
  }
}

async function compare(dir: string, stack: string, against: string, format: Format, io: Io): Promise<number> {
  const r = await compareStack({ dir, stack, against });
  if (!r.ok) {
    io.err(
      `${r.side === "base" ? `config at ${against}` : "working-tree config"} is invalid:\n${formatProblems(r.problems, stack)}`,
    );
    return 2;
  }
  const d = r.diff;
  const summary = `${d.added.length} to add, ${d.removed.length} to remove, ${d.changed.length} to change (stack '${stack}', ${against} → working tree)`;
  if (format === "json") {
    io.out(
      JSON.stringify(
        {
          stack,
          base: against,
          added: d.added.map((x) => ({ type: x.type, name: x.name, urn: x.urn })),
          removed: d.removed.map((x) => ({ type: x.type, name: x.name, urn: x.urn })),
          changed: d.changed,
          summary,
        },
        null,
        2,
      ),
    );
  } else if (format === "markdown") {
    io.out(
      [`## Impact of the config change on \`${stack}\``, "", summary, "", "```diff", formatDiff(d), "```"].join("\n"),
    );
  } else {
    io.out(`${formatDiff(d)}\n\n${summary}`);
  }
  return 0;
}

function describe(d: ParityDifference): string {
  if (d.kind === "only-in") return `only in ${d.detail}: ${d.type} ${d.name}`;
  return `${d.type} ${d.name}: ${d.detail} ${d.values ? `${JSON.stringify(d.values[0])} ≠ ${JSON.stringify(d.values[1])}` : ""}`.trim();
}

async function parity(dir: string, stacks: [string, string], format: Format, io: Io): Promise<number> {
  const r = await checkParity({ dir, stacks });
  if (!r.ok) {
    io.err(formatProblems(r.problems, r.stack));
    return 2;
  }
  const allowed = r.differences.length - r.unexpected.length;
  const summary = `${r.unexpected.length} unexpected difference(s) between ${stacks[0]} and ${stacks[1]} (${allowed} allowed by parity.json)`;
  if (format === "json")
    io.out(
      JSON.stringify(
        { stacks, unexpected: r.unexpected, allowed: r.differences.filter((d) => d.allowedBy), summary },
        null,
        2,
      ),
    );
  else if (format === "markdown") {
    const rows = r.unexpected.map(
      (d) => `| ${d.kind} | \`${d.type}\` | ${d.name} | ${describe(d).replace(/\|/g, "\\|")} |`,
    );
    io.out(
      [
        `## Parity ${stacks[0]} ↔ ${stacks[1]}`,
        "",
        summary,
        "",
        ...(rows.length ? ["| Kind | Type | Resource | Difference |", "|---|---|---|---|", ...rows] : []),
      ].join("\n"),
    );
  } else io.out([...r.unexpected.map((d) => `  ✗ ${describe(d)}`), "", summary].join("\n"));
  return r.unexpected.length === 0 ? 0 : 1;
}
