/**
 * `npm run bench`: the gate's wall time per stack against the floor (a node process that only loads
 * @pulumi/pulumi, @pulumi/aws, @pulumi/kubernetes and @pulumi/policy), median of several runs, and the
 * policy evaluation time of a synthetic plan 10× larger than prod (scaling ratio; quadratic stack policies
 * would show up here), and a whole rehearsal of a prod release plus one stack rollback on the twin against one
 * gate run (issue "Release rehearsal on a twin"), the top 5 costs of a CPU profile of the gate and of its
 * pack process (tools/profile.ts), and the wall time of `npm test`. Prints numbers; asserts nothing
 * (targets: gate ≤ 1.5× floor, 10× plan ≤ 10× time, rehearsal ≤ 2.5× gate, npm test ≤ 45 s).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PolicyPackProcess, resolvePolicyConfig } from "../gate/analyzer";
import type { CapturedPlan } from "../gate/capture";
import { planStack } from "../gate/plan";
import { profilesIn, summarize } from "./profile";

const ROOT = path.join(__dirname, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  try {
    execFileSync(cmd, args, { cwd: ROOT, stdio: "ignore" });
  } catch (e) {
    if ((e as { status?: number }).status !== 1) throw e; // exit 1 (no-go) still measures a full run
  }
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

interface Case {
  label: string;
  cmd: string;
  args: string[];
}

/**
 * Every case once per round (after a warm-up round for the file cache), RUNS rounds: the cases of a round
 * run back to back, so a ratio taken within a round compares runs under the same machine load (this VM's
 * speed drifts by ±20 % over a minute). Returns each case's wall times, by label.
 */
function rounds(cases: Case[]): Record<string, number[]> {
  for (const c of cases) time(c.cmd, c.args);
  const out: Record<string, number[]> = Object.fromEntries(cases.map((c) => [c.label, []]));
  for (let i = 0; i < RUNS; i++) for (const c of cases) out[c.label].push(time(c.cmd, c.args));
  for (const c of cases) {
    const xs = out[c.label];
    console.log(
      `${c.label.padEnd(28)} median ${median(xs).toFixed(0).padStart(6)} ms   runs ${xs.map((x) => x.toFixed(0)).join(", ")}`,
    );
  }
  return out;
}

/**
 * The median of the per-round ratios a[i] / b[i], with the ratios listed, and the ratio of the two medians
 * (how the issue measured it: the median of 5 gate runs over the median of 5 floor runs).
 */
function ratio(label: string, a: number[], b: number[], target: number): void {
  const rs = a.map((x, i) => x / b[i]);
  const ofMedians = (median(a) / median(b)).toFixed(2);
  console.log(
    `${label.padEnd(28)} ${median(rs).toFixed(2)}  (target ≤ ${target}; ratio of the medians ${ofMedians}; per round ${rs.map((r) => r.toFixed(2)).join(", ")})`,
  );
}

/** Renames the ARNs and ALB/target-group suffixes inside a value so copy `i` does not collide with copy 0. */
function suffixStrings(v: unknown, i: number): unknown {
  if (typeof v === "string") return /^(arn:aws:|targetgroup\/|app\/)/.test(v) ? `${v}-x${i}` : v;
  if (Array.isArray(v)) return v.map((x) => suffixStrings(x, i));
  if (v && typeof v === "object")
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, suffixStrings(x, i)]));
  return v;
}

/** The plan repeated `n` times under distinct names, edges kept within each copy. */
export function inflate(plan: CapturedPlan, n: number): CapturedPlan {
  const copies = Array.from({ length: n }, (_, i) => {
    const rename = (urn: string) => (i === 0 ? urn : `${urn}-x${i}`);
    return plan.resources.map((r) => ({
      ...r,
      urn: rename(r.urn),
      name: i === 0 ? r.name : `${r.name}-x${i}`,
      parent: r.parent && rename(r.parent),
      dependencies: r.dependencies.map(rename),
      propertyDependencies: Object.fromEntries(
        Object.entries(r.propertyDependencies).map(([k, us]) => [k, us.map(rename)]),
      ),
      inputs: (i === 0 ? r.inputs : suffixStrings(r.inputs, i)) as Record<string, unknown>,
      outputs: (i === 0 ? r.outputs : suffixStrings(r.outputs, i)) as Record<string, unknown>,
    }));
  });
  return { ...plan, resources: copies.flat() };
}

async function scaling(): Promise<void> {
  const r = await planStack({ dir: ROOT, stack: "prod" });
  if (!r.ok) throw new Error("prod config invalid");
  const pack = await PolicyPackProcess.start({
    packDir: path.join(ROOT, "policy"),
    project: r.files.project,
    stack: "prod",
    config: r.files.config,
    secretKeys: r.files.secretKeys,
  });
  try {
    const info = await pack.info();
    await pack.configure(resolvePolicyConfig(info, {}, { "release-window": { at: r.config.release.window.start } }));
    const measure = async (p: CapturedPlan) => {
      await pack.analyzeAll(p.resources);
      const xs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = process.hrtime.bigint();
        await pack.analyzeAll(p.resources);
        xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      return median(xs);
    };
    const one = await measure(r.plan);
    const ten = await measure(inflate(r.plan, 10));
    console.log(`policy evaluation, 1× plan     ${r.plan.resources.length} resources  median ${one.toFixed(0)} ms`);
    console.log(`policy evaluation, 10× plan    ${r.plan.resources.length * 10} resources median ${ten.toFixed(0)} ms`);
    console.log(`scaling ratio (10× / 1×)       ${(ten / one).toFixed(2)}  (target ≤ 10)`);
  } finally {
    pack.close();
  }
}

/** One gate run of prod with a CPU profile of the gate process and of its pack process: the top 5 costs each. */
function profile(): void {
  const dir = mkdtempSync(path.join(tmpdir(), "gate-profile-"));
  try {
    const gateDir = path.join(dir, "gate");
    const packDir = path.join(dir, "pack");
    const exit = path.join(ROOT, "tools", "sigterm-exit.js");
    // Twice: the first run fills the code cache of these node flags (tools/code-cache.js), the second is profiled.
    for (const run of ["warm-up", "profiled"])
      execFileSync(
        process.execPath,
        [
          `--cpu-prof`,
          `--cpu-prof-dir=${run === "warm-up" ? path.join(dir, "warm-up") : gateDir}`,
          path.join(ROOT, "bin", "gate.js"),
          "--stack",
          "prod",
          "--at",
          "window",
        ],
        {
          cwd: ROOT,
          stdio: "ignore",
          env: {
            ...process.env,
            PACK_NODE_ARGS: `--cpu-prof --cpu-prof-dir=${run === "warm-up" ? path.join(dir, "warm-up") : packDir} -r ${exit}`,
          },
        },
      );
    for (const [label, d] of [
      ["gate process", gateDir],
      ["pack process", packDir],
    ]) {
      for (const f of profilesIn(d)) {
        const { total, rows } = summarize(f, ROOT);
        const idle = rows.find(([c]) => c === "(idle)")?.[1] ?? 0;
        const top = rows
          .filter(([c]) => c !== "(idle)")
          .slice(0, 5)
          .map(([c, ms]) => `${c} ${ms.toFixed(0)} ms`);
        console.log(`profile, ${label} (${total.toFixed(0)} ms sampled, ${idle.toFixed(0)} idle): ${top.join(" · ")}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `npm test` once, wall time (BENCH_SKIP_TESTS=1 skips it). */
function testSuite(): void {
  if (process.env.BENCH_SKIP_TESTS) return;
  const t0 = process.hrtime.bigint();
  try {
    execFileSync(process.execPath, [path.join(ROOT, "tools", "run-tests.js")], { cwd: ROOT, stdio: "ignore" });
  } catch {
    console.log("npm test                     failed (wall time below is of a failing run)");
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`npm test wall time            ${s.toFixed(1)} s  (target ≤ 45 s on 2 cores)`);
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${RUNS} rounds (BENCH_RUNS to change)`);
  const gate = (stack: string) => ({
    label: `gate --stack ${stack}`,
    // The executables as installed (npm's bin links; `npm run rollout` runs its executable): their #! lines apply.
    cmd: path.join(ROOT, "bin", "gate.js"),
    args: ["--stack", stack, "--at", "window", "--format", "json"],
  });
  const image = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/artifortress/api:sha-9f8e7d6";
  const rehearse = ["rehearse", "--stack", "prod", "--image", image, "--version", "1.5.0", "--then", "rollback@P7D"];
  const runs = rounds([
    {
      label: "floor (load 4 packages)",
      cmd: process.execPath,
      args: [
        "-e",
        'require("@pulumi/pulumi");require("@pulumi/aws");require("@pulumi/kubernetes");require("@pulumi/policy")',
      ],
    },
    gate("staging"),
    gate("prod"),
    {
      label: "rehearse prod + rollback",
      cmd: path.join(ROOT, "bin", "rollout.js"),
      args: [...rehearse, "--format", "json"],
    },
  ]);
  const floor = runs["floor (load 4 packages)"];
  ratio("gate/floor ratio (staging)", runs["gate --stack staging"], floor, 1.5);
  ratio("gate/floor ratio (prod)", runs["gate --stack prod"], floor, 1.5);
  ratio("rehearsal/gate ratio (prod)", runs["rehearse prod + rollback"], runs["gate --stack prod"], 2.5);
  profile();
  await scaling();
  testSuite();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
