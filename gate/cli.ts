/**
 * `npm run gate -- --stack <name>`: the offline readiness gate. Validates the stack's configuration, runs
 * the program under mocks and reports what `pulumi up` would create.
 *
 * Exit codes: 0 go; 1 no-go (a mandatory policy violation); 2 invalid config, unreadable stack files or a
 * program error. A user mistake is printed as a message, never as a stack trace.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatProblems } from "../config/load";
import type { CapturedPlan } from "./capture";
import { planStack } from "./plan";
import { StackFileError } from "./stackfiles";

export const USAGE = `Usage: npm run gate -- --stack <name> [options]

Validates Pulumi.<name>.yaml, runs the program offline under mocks and prints what it would create.

Options:
  --stack <name>       stack to check (required), e.g. staging or prod
  --dir <path>         project directory holding Pulumi.yaml (default: current directory)
  --format <fmt>       text (default), json
  --plan-out <file>    write the captured plan as JSON (see docs/gate.md)
  -h, --help           show this help

Exit codes: 0 go, 1 no-go, 2 invalid configuration or program error.`;

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const consoleIo: Io = { out: (s) => process.stdout.write(`${s}\n`), err: (s) => process.stderr.write(`${s}\n`) };

export function summarize(plan: CapturedPlan): string {
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  const counts = new Map<string, number>();
  for (const r of plan.resources) counts.set(r.type, (counts.get(r.type) ?? 0) + 1);
  const lines = [`${plan.resources.length} resources in stack '${plan.stack}':`];
  for (const [type, n] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) {
    lines.push(`  ${String(n).padStart(3)} × ${type}`);
    for (const r of plan.resources.filter((x) => x.type === type)) {
      const parent = r.parent ? byUrn.get(r.parent)?.name : undefined;
      lines.push(`        ${r.name}${parent ? `  (parent: ${parent})` : ""}`);
    }
  }
  return lines.join("\n");
}

export async function main(argv: string[], io: Io = consoleIo): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (e) {
    io.err(`${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    io.out(USAGE);
    return 0;
  }
  const stack = args.values.stack;
  if (!stack) {
    io.err(`--stack is required.\n\n${USAGE}`);
    return 2;
  }
  const format = args.values.format ?? "text";
  if (format !== "text" && format !== "json") {
    io.err(`--format must be text or json, got '${format}'.`);
    return 2;
  }
  try {
    const result = await planStack({ dir: args.values.dir ?? process.cwd(), stack });
    if (!result.ok) {
      if (format === "json")
        io.out(JSON.stringify({ stack, decision: "invalid-config", problems: result.problems }, null, 2));
      else io.err(formatProblems(result.problems, stack));
      return 2;
    }
    if (args.values["plan-out"]) writeFileSync(args.values["plan-out"], `${JSON.stringify(result.plan, null, 2)}\n`);
    if (format === "json") {
      io.out(
        JSON.stringify(
          {
            stack,
            decision: "go",
            resourceCount: result.plan.resources.length,
            placeholders: result.files.placeholders,
          },
          null,
          2,
        ),
      );
    } else {
      if (result.files.placeholders.length > 0)
        io.out(
          `Note: secret values of ${result.files.placeholders.join(", ")} were replaced by placeholders (not decrypted offline).`,
        );
      io.out(`Configuration of stack '${stack}' is valid.`);
      io.out(summarize(result.plan));
    }
    return 0;
  } catch (e) {
    if (e instanceof StackFileError) {
      io.err(e.message);
      return 2;
    }
    const err = e as Error;
    io.err(`The program failed under the offline gate: ${err.message}`);
    if (process.env.GATE_DEBUG) io.err(err.stack ?? "");
    else io.err("(set GATE_DEBUG=1 for the stack trace)");
    return 2;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      stack: { type: "string" },
      dir: { type: "string" },
      format: { type: "string" },
      "plan-out": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: false,
  });
}
