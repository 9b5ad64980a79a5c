/**
 * One pack process, many stack configs (tools/pack-stack-config.js): the gate's evaluator sends each
 * session's stack config with `configure`, and the pack must then judge exactly as a fresh process started
 * with that config in PULUMI_CONFIG would (what the engine does: a new pack per `pulumi up`). Config B
 * differs from the committed prod config in what a resource policy (workloads-zero-downtime reads
 * api.deregistrationDelaySeconds) and a stack policy (release-window reads release.window) read, so a
 * process that kept its start config would judge the committed plan differently. A process started for
 * one stack also judges another stack's config (and name) as a fresh process of that stack would, so the
 * evaluator keeps one process for staging and prod.
 */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type Analysis, PolicyPackProcess } from "../../gate/analyzer";
import type { CapturedPlan } from "../../gate/capture";
import { Evaluator } from "../../gate/evaluator";
import { packEntry, STACK_CONFIG_ENTRY } from "../../gate/runtime";
import { loadStackFiles } from "../../gate/stackfiles";
import { stackPolicyNames } from "../../rollout/compose";
import { committedPolicyConfig, evaluate, INSIDE_WINDOW, PACK_DIR, type Pack, startPack } from "../support/policy";
import { plan, ROOT } from "../support/stacks";

const B = {
  api: { deregistrationDelaySeconds: 300 },
  release: { window: { start: "2026-11-26T09:00:00Z", end: "2026-11-26T12:00:00Z" } },
};

const verdicts = (a: Analysis) => a.diagnostics.map((d) => `${d.policyName} ${d.urn}: ${d.message}`).sort();

async function judge(pack: Pack, p: CapturedPlan): Promise<string[]> {
  return verdicts(await evaluate(pack, p));
}

/**
 * A fresh process's verdicts on a plan, judged once: the fresh processes here are never configured again,
 * so the specs compare with the same reference (each judgment is a plan's 162 analyze calls and a stack call).
 */
const references = new Map<Pack, Map<CapturedPlan, Promise<string[]>>>();
function reference(pack: Pack, p: CapturedPlan): Promise<string[]> {
  const byPlan = references.get(pack) ?? new Map<CapturedPlan, Promise<string[]>>();
  references.set(pack, byPlan);
  const known = byPlan.get(p) ?? judge(pack, p);
  byPlan.set(p, known);
  return known;
}

/**
 * A probe preloaded into a pack (PACK_NODE_ARGS, read when the process starts): it appends the SDK's stack
 * name and PULUMI_NODEJS_STACK to `out` at each analyzeStack response. No policy reads them, so verdicts
 * cannot show the switch of the name.
 */
function probed(dir: string, start: () => Promise<Pack>): { pack: Promise<Pack>; seen: () => string[][] } {
  const probe = path.join(dir, "probe.js");
  const out = path.join(dir, "seen.jsonl");
  writeFileSync(out, "");
  writeFileSync(
    probe,
    `const from = { paths: [process.cwd()] };
     const svc = require(require.resolve("@pulumi/pulumi/proto/analyzer_grpc_pb", from)).AnalyzerService;
     const state = require(require.resolve("@pulumi/pulumi/runtime/state", from));
     const inner = svc.analyzeStack.responseSerialize;
     svc.analyzeStack.responseSerialize = (v) => {
       const seen = [state.getStore().settings.options.stack, process.env.PULUMI_NODEJS_STACK];
       require("node:fs").appendFileSync(${JSON.stringify(out)}, JSON.stringify(seen) + "\\n");
       return inner(v);
     };`,
  );
  const saved = process.env.PACK_NODE_ARGS;
  process.env.PACK_NODE_ARGS = `--require ${probe}`;
  try {
    // PolicyPackProcess.start reads PACK_NODE_ARGS before its first await.
    const pack = start();
    return {
      pack,
      seen: () =>
        readFileSync(out, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => JSON.parse(l)),
    };
  } finally {
    if (saved === undefined) delete process.env.PACK_NODE_ARGS;
    else process.env.PACK_NODE_ARGS = saved;
  }
}

describe("policy pack: a process switched to another stack config judges as a fresh one started with it", function () {
  this.timeout(60_000);
  let switching: Pack;
  let freshA: Pack;
  let freshB: Pack;
  let freshStaging: Pack;
  const probeDir = mkdtempSync(path.join(tmpdir(), "pack-stack-probe-"));
  let seen: () => string[][];
  before(async () => {
    const probe = probed(probeDir, () => startPack("prod"));
    seen = probe.seen;
    [switching, freshA, freshB, freshStaging] = await Promise.all([
      probe.pack,
      startPack("prod"),
      startPack("prod", B),
      startPack("staging"),
    ]);
  });
  after(() => {
    for (const p of [switching, freshA, freshB, freshStaging]) p?.process.close();
    rmSync(probeDir, { recursive: true, force: true });
  });

  it("A → B → A: the committed plan gets B's verdicts, then A's again", async () => {
    const committed = await plan("prod");
    const a = await reference(freshA, committed);
    const b = await reference(freshB, committed);
    assert.ok(
      b.some((v) => v.startsWith("workloads-zero-downtime ")),
      `B's delay of 300 s should fail the API's preStop: ${b.join("\n")}`,
    );
    assert.ok(
      b.some((v) => v.startsWith("release-window ")),
      `B's window is a day later: ${b.join("\n")}`,
    );
    assert.notDeepEqual(a, b);

    const filesB = loadStackFiles(ROOT, "prod", B);
    await switching.process.configure(switching.config, {
      config: filesB.config,
      secretKeys: filesB.secretKeys,
      stack: "prod",
    });
    assert.deepEqual(await judge(switching, committed), b);
    const filesA = loadStackFiles(ROOT, "prod");
    await switching.process.configure(switching.config, {
      config: filesA.config,
      secretKeys: filesA.secretKeys,
      stack: "prod",
    });
    assert.deepEqual(await judge(switching, committed), a);
  });

  it("prod → staging → prod: a process started for prod judges staging's plan as a fresh staging process", async () => {
    const [committed, staging] = await Promise.all([plan("prod"), plan("staging")]);
    const s = await reference(freshStaging, staging);
    const a = await reference(freshA, committed);
    assert.notDeepEqual(await reference(freshA, staging), s, "prod's config judges staging's plan differently");
    const filesS = loadStackFiles(ROOT, "staging");
    const stagingPolicy = committedPolicyConfig("staging", switching.info, INSIDE_WINDOW.staging);
    await switching.process.configure(stagingPolicy, {
      config: filesS.config,
      secretKeys: filesS.secretKeys,
      stack: "staging",
    });
    const before = seen().length;
    assert.deepEqual(await judge({ ...switching, config: stagingPolicy }, staging), s);
    assert.deepEqual(seen().slice(before), [["staging", "staging"]], "the pack's getStack() while judging staging");
    const filesP = loadStackFiles(ROOT, "prod");
    await switching.process.configure(switching.config, {
      config: filesP.config,
      secretKeys: filesP.secretKeys,
      stack: "prod",
    });
    const back = seen().length;
    assert.deepEqual(await judge(switching, committed), a);
    assert.deepEqual(seen().slice(back), [["prod", "prod"]], "the pack's getStack() while judging prod again");
  });

  it("the evaluator: one pack process for both configs, and no verdict of one config served for the other", async () => {
    const evaluator = new Evaluator({ dir: ROOT, stackPolicies: stackPolicyNames() });
    try {
      const committed = await plan("prod");
      const run = (files: ReturnType<typeof loadStackFiles>) =>
        evaluator.session(files, freshA.config, async (s) =>
          verdicts({
            diagnostics: [
              ...(await s.analyze(committed.resources)).diagnostics,
              ...(await s.analyzeStack(committed.resources)).diagnostics,
            ],
            notApplicable: [],
          }),
        );
      const a = await run(loadStackFiles(ROOT, "prod"));
      const b = await run(loadStackFiles(ROOT, "prod", B));
      assert.deepEqual(a, await reference(freshA, committed));
      assert.deepEqual(b, await reference(freshB, committed));
      assert.equal(evaluator.stats.packLeases, 1, "the evaluator used more than one pack process");
      assert.ok(evaluator.stats.packStarts <= 1);
      assert.equal(evaluator.stats.analyzeHits, 0, "a verdict memoized under A answered for B");
    } finally {
      evaluator.close();
    }
  });

  it("the evaluator: one pack process for staging and prod, each judged as by its own fresh process", async () => {
    const evaluator = new Evaluator({ dir: ROOT, stackPolicies: stackPolicyNames() });
    try {
      const [committed, staging] = await Promise.all([plan("prod"), plan("staging")]);
      const run = (files: ReturnType<typeof loadStackFiles>, p: CapturedPlan, config: Pack["config"]) =>
        evaluator.session(files, config, async (s) => verdicts(await s.analyzeAll(p.resources)));
      const s = await run(loadStackFiles(ROOT, "staging"), staging, freshStaging.config);
      const a = await run(loadStackFiles(ROOT, "prod"), committed, freshA.config);
      assert.deepEqual(s, await reference(freshStaging, staging));
      assert.deepEqual(a, await reference(freshA, committed));
      assert.equal(evaluator.stats.packLeases, 1, "the evaluator used a pack process per stack");
    } finally {
      evaluator.close();
    }
  });

  it("a pack started with its own command line cannot switch, and says so instead of judging its old config", async () => {
    const files = loadStackFiles(ROOT, "prod");
    const other = await PolicyPackProcess.start({
      packDir: PACK_DIR,
      project: files.project,
      stack: "prod",
      config: files.config,
      command: { args: packEntry(PACK_DIR) },
    });
    try {
      assert.equal(other.acceptsStackConfig, false);
      await assert.rejects(
        other.configure(freshA.config, { config: loadStackFiles(ROOT, "prod", B).config, stack: "prod" }),
        /cannot switch its stack config/,
      );
    } finally {
      other.close();
    }
  });
});

describe("tools/pack-stack-config.js in the pack's SDK", () => {
  it("a switch to another stack replaces the stack name the SDK answers (pulumi.getStack()) and its variable", () => {
    // In a node of its own: the SDK's store is global state, and this process's captures use it.
    const script = `
      const pb = require("@pulumi/pulumi/proto/analyzer_pb");
      const service = { configure: { requestDeserialize: (b) => pb.ConfigureAnalyzerRequest.deserializeBinary(b) } };
      require(${JSON.stringify(path.join(ROOT, "tools", "pack-stack-config.js"))}).acceptStackConfig(
        service, require("@pulumi/pulumi/runtime/config"), require("@pulumi/pulumi/runtime/state"));
      const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
      const req = new pb.ConfigureAnalyzerRequest();
      const entry = new pb.PolicyConfig();
      entry.setProperties(Struct.fromJavaScript({ config: JSON.stringify({ "app:x": "1" }), secretKeys: "[]", stack: "staging" }));
      req.getPolicyconfigMap().set(${JSON.stringify(STACK_CONFIG_ENTRY)}, entry);
      const before = require("@pulumi/pulumi").getStack();
      const got = service.configure.requestDeserialize(req.serializeBinary());
      const pulumi = require("@pulumi/pulumi");
      console.log(JSON.stringify({ before, after: pulumi.getStack(), env: process.env.PULUMI_NODEJS_STACK,
        x: new pulumi.Config("app").get("x"), left: got.getPolicyconfigMap().getLength() }));`;
    const out = execFileSync(process.execPath, ["-e", script], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, PULUMI_NODEJS_STACK: "prod", PULUMI_NODEJS_PROJECT: "app", PULUMI_CONFIG: "{}" },
    });
    assert.deepEqual(JSON.parse(out), { before: "prod", after: "staging", env: "staging", x: "1", left: 0 });
  });
});
