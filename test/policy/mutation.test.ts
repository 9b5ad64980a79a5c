/**
 * Property-based robustness of the policy pack (#17): mutated resources of both committed plans (an
 * optional field dropped, top-level or nested; a value unknown during a preview; an empty array; a value
 * of the wrong type) are fed to every policy of the REAL pack over gRPC: every mutation to the resource
 * policies with `analyze`, and in batches, inside the otherwise unchanged stack, to the stack policies
 * with `analyzeStack`. A violation (or an advisory "can't run" on an unknown) is a fine answer; a policy
 * that throws is not: the server (@pulumi/policy 1.21 server.js:284-297 for analyze, :420-433 for
 * analyzeStack) turns any exception other than UnknownValueError (an advisory "can't run" diagnostic) and
 * NotApplicableError into `asGrpcError` (protoutil.js:32), rethrown out of the policy loop and answered
 * with `callback(err)` (server.js:302-304, :437-439): the whole call fails with gRPC status UNKNOWN and
 * details "Error validating resource with policy '<name>' from policy pack '<pack>@v<version>':\n<stack>",
 * the policies after it do not run, no diagnostic comes back, and the engine fails the preview.
 *
 * Reproducible: MUTATION_SEED=<integer> (default 17, so CI runs the same mutations every time) picks
 * another set, MUTATION_COUNT=<n> (default 400) the number of mutations per stack. A failure names the
 * policy, the resource, the mutation (path, kind, value), its index and the seed; a throw found in an
 * analyzeStack batch is narrowed (bisection) to the mutation that causes it alone. The default is a sample
 * sized for CI (~2.5 s for both stacks); a deeper local sweep: MUTATION_COUNT=4000 (~15 s), several seeds.
 */
import * as assert from "node:assert/strict";
import type { Analysis } from "../../gate/analyzer";
import type { CapturedPlan, CapturedResource } from "../../gate/capture";
import { allPolicies } from "../../policy/policies";
import { describeMutation, generateMutations, type Mutation, mutated } from "../support/mutations";
import { type Pack, sharedPack } from "../support/policy";
import { plan, STACKS, type StackName } from "../support/stacks";

const SEED = Number(process.env.MUTATION_SEED ?? 17);
const COUNT = Number(process.env.MUTATION_COUNT ?? 400);
if (!Number.isInteger(SEED) || !Number.isInteger(COUNT) || COUNT < 1)
  throw new Error(`MUTATION_SEED must be an integer and MUTATION_COUNT a positive integer (got ${SEED}, ${COUNT})`);
/** Mutations per analyzeStack call (each call sends the whole stack and costs ~100 ms; 8 calls by default). */
const STACK_BATCH = 50;
/** analyze calls in flight per pack. */
const IN_FLIGHT = 32;

/** How the server reports a policy that threw (@pulumi/policy server.js, protoutil.js asGrpcError). */
const THREW = /Error validating resource with policy '([^']+)' from policy pack '[^']*':\n([^\n]*)/;
const CANT_RUN = /^can't run policy/;

interface Throw {
  policy: string;
  call: "analyze" | "analyzeStack";
  /** The mutations of the call: one, or a set that throws only together. */
  mutations: Mutation[];
  error: string;
}

interface Run {
  stack: StackName;
  mutations: Mutation[];
  analyzeCalls: number;
  stackCalls: number;
  throws: Throw[];
  violations: number;
  cantRun: number;
  ms: number;
}

type Outcome = { analysis: Analysis } | { policy: string; error: string };

/** The analysis of a call, or the policy that made the server fail it and its error. */
async function outcome(call: Promise<Analysis>): Promise<Outcome> {
  try {
    return { analysis: await call };
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    const m = THREW.exec(text);
    return m ? { policy: m[1], error: m[2] } : { policy: "(no policy named)", error: text.split("\n")[0] };
  }
}

function tally(run: Run, o: Outcome, call: Throw["call"], mutations: Mutation[]): void {
  if ("analysis" in o) {
    for (const d of o.analysis.diagnostics) CANT_RUN.test(d.message) ? run.cantRun++ : run.violations++;
  } else run.throws.push({ policy: o.policy, call, mutations, error: o.error });
}

async function eachLimited<T>(xs: T[], limit: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < xs.length) await fn(xs[next++]);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** The stack with the mutations of `ms` applied to their resources (the others: the captured objects). */
function mutatedStack(plan: CapturedPlan, ms: Mutation[]): CapturedResource[] {
  const byUrn = new Map<string, Mutation[]>();
  for (const m of ms) byUrn.set(m.urn, [...(byUrn.get(m.urn) ?? []), m]);
  return plan.resources.map((r) => (byUrn.has(r.urn) ? mutated(r, byUrn.get(r.urn)!) : r));
}

/** analyzeStack with the batch; on a throw, the smallest sub-batches (halves, recursively) that still throw. */
async function stackThrows(pack: Pack, plan: CapturedPlan, ms: Mutation[], run: Run): Promise<Throw[]> {
  run.stackCalls++;
  const o = await outcome(pack.process.analyzeStack(mutatedStack(plan, ms)));
  if ("analysis" in o) {
    tally(run, o, "analyzeStack", ms);
    return [];
  }
  if (ms.length > 1) {
    const half = Math.ceil(ms.length / 2);
    const parts = [
      ...(await stackThrows(pack, plan, ms.slice(0, half), run)),
      ...(await stackThrows(pack, plan, ms.slice(half), run)),
    ];
    if (parts.length > 0) return parts;
  }
  return [{ policy: o.policy, call: "analyzeStack", mutations: ms, error: o.error }];
}

async function runMutations(stack: StackName, pack: Pack, plan: CapturedPlan): Promise<Run> {
  const started = Date.now();
  const mutations = generateMutations(plan.resources, stack, SEED, COUNT);
  const run: Run = { stack, mutations, analyzeCalls: 0, stackCalls: 0, throws: [], violations: 0, cantRun: 0, ms: 0 };
  const byUrn = new Map(plan.resources.map((r) => [r.urn, r]));
  await eachLimited(mutations, IN_FLIGHT, async (m) => {
    run.analyzeCalls++;
    tally(run, await outcome(pack.process.analyze(mutated(byUrn.get(m.urn)!, [m]))), "analyze", [m]);
  });
  const n = Math.ceil(mutations.length / STACK_BATCH);
  const batches = Array.from({ length: n }, (_, k) => mutations.filter((_, i) => i % n === k));
  for (const batch of batches) run.throws.push(...(await stackThrows(pack, plan, batch, run)));
  run.ms = Date.now() - started;
  return run;
}

/** One line per distinct (policy, error), with the first mutation that caused it and how many did. */
function report(throws: Throw[]): string {
  const groups = new Map<string, Throw[]>();
  for (const t of throws) groups.set(`${t.policy}\0${t.error}`, [...(groups.get(`${t.policy}\0${t.error}`) ?? []), t]);
  return [...groups.values()]
    .map(([t, ...more]) => {
      const what = t.mutations.map(describeMutation).join("\n      together with ");
      const others = more.length > 0 ? ` (and ${more.length} other mutation(s))` : "";
      return `policy '${t.policy}' threw in ${t.call} on ${what}${others}\n    ${t.error}`;
    })
    .join("\n  ");
}

describe("the pack under mutated real-plan resources: a policy never throws (property-based, over gRPC)", function () {
  this.timeout(120_000);
  const packs = {} as Record<StackName, Pack>;
  const plans = {} as Record<StackName, CapturedPlan>;
  const runs = {} as Record<StackName, Run>;

  before(async () => {
    // The packs start (child processes) while the plans are captured in this process.
    const starting = Promise.all(STACKS.map((s) => sharedPack(s).then((p) => (packs[s] = p))));
    starting.catch(() => undefined);
    for (const s of STACKS) plans[s] = await plan(s);
    await starting;
    const done = await Promise.all(STACKS.map((s) => runMutations(s, packs[s], plans[s])));
    for (const r of done) {
      runs[r.stack] = r;
      console.log(
        `      ${r.stack}: ${r.mutations.length} mutations (MUTATION_SEED=${SEED}), ${r.analyzeCalls} analyze + ${r.stackCalls} analyzeStack calls in ${r.ms} ms: ${r.throws.length} throws, ${r.violations} violations, ${r.cantRun} can't-run`,
      );
    }
  });

  it("detects a throw the way the server reports it (a property it cannot deserialize fails the call, naming a policy)", async () => {
    const r = structuredClone(plans.prod.resources.find((x) => x.custom)!);
    r.inputs.bogus = { "4dabf18193072939515e22adb298388d": "not-a-signature" };
    const o = await outcome(packs.prod.process.analyze(r));
    assert.ok("policy" in o, "the call succeeded");
    assert.ok(
      allPolicies.some((p) => p.name === o.policy),
      `no policy named: ${o.policy}`,
    );
    assert.match(o.error, /Unrecognized signature 'not-a-signature'/);
  });

  for (const stack of STACKS)
    it(`${stack}: no policy throws on any mutated resource`, () => {
      const throws = runs[stack].throws;
      assert.ok(
        throws.length === 0,
        `${throws.length} throw(s); rerun with MUTATION_SEED=${SEED} MUTATION_COUNT=${COUNT}:\n  ${report(throws)}`,
      );
    });

  it("covers every resource type of both plans and every policy of the pack", () => {
    for (const stack of STACKS)
      assert.deepEqual(
        [...new Set(runs[stack].mutations.map((m) => m.type))].sort(),
        [...new Set(plans[stack].resources.map((r) => r.type))].sort(),
        `${stack}: resource types without a mutation`,
      );
    const served = new Set(packs.prod.info.policies.map((p) => p.name));
    assert.deepEqual(
      allPolicies.map((p) => p.name).filter((n) => !served.has(n)),
      [],
    );
    // A policy disabled in one stack's config runs in the other's.
    const enabled = (n: string) => STACKS.some((s) => packs[s].config[n]?.enforcementLevel !== "disabled");
    assert.deepEqual(
      allPolicies.map((p) => p.name).filter((n) => !enabled(n)),
      [],
    );
  });
});
