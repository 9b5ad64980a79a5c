/**
 * tools/pack-stack-resources.js (installed in the gate's pack process by tools/pack-memo.js): the rewritten
 * analyzeStack of @pulumi/policy's server.js must answer exactly as the shipped one — same diagnostics, same
 * not-applicable list, same errors — on the real plans and every violating fixture of a stack policy, while
 * building each resource's view once per call instead of once per stack policy. Both servers are loaded
 * from the installed server.js source in this process and called with the same decoded requests.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import Module from "node:module";
import * as path from "node:path";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { analyzeStackRequestBytes } from "../../gate/wire";
import { allPolicies } from "../../policy/policies";
import { fixtures } from "../policy/fixtures";
import { plan } from "../support/stacks";

const { transform } = require("../../tools/pack-stack-resources") as {
  transform(source: string): { text: string; applied: boolean };
};

type Call = { request: pb.AnalyzeStackRequest };
type Callback = (err: Error | undefined, res?: pb.AnalyzeResponse) => void;
type MakeStack = (name: string, version: string, level: string, policies: unknown[]) => (c: Call, cb: Callback) => void;

const ROOT = path.join(__dirname, "..", "..");
const SERVER = require.resolve("@pulumi/policy/server.js");
const deserialize = require("@pulumi/policy/deserialize") as {
  deserializeProperties(struct: object | undefined, proxySecrets: boolean): unknown;
};
const SOURCE = readFileSync(SERVER, "utf8");

/** A fresh instance of server.js from `text` (its own module state), resolving as the installed one does. */
function load(text: string): MakeStack {
  const m = new Module(SERVER) as Module & { _compile(text: string, file: string): void };
  m.filename = SERVER;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(SERVER));
  m._compile(text, SERVER);
  return (m.exports as { makeAnalyzeStackRpcFun: MakeStack }).makeAnalyzeStackRpcFun;
}

/**
 * The answer of one analyzeStack call: the response as a plain object, or the error's message without the
 * frames inside the moved block (they name the function it moved into).
 */
async function ask(make: MakeStack, policies: unknown[], bytes: Buffer): Promise<unknown> {
  const handler = make("app-readiness", "0.1.0", "mandatory", policies);
  const request = pb.AnalyzeStackRequest.deserializeBinary(new Uint8Array(bytes));
  // The release-window policy reads the clock when no time is configured: both servers see the same one.
  const RealDate = globalThis.Date;
  globalThis.Date = FixedDate as DateConstructor;
  // Both decode each Struct once per call, as in the gate's pack (tools/pack-memo.js): the shipped server
  // would otherwise decode every resource 25 times, ~60 ms a call here.
  const decode = deserialize.deserializeProperties;
  const memo = new WeakMap<object, unknown>();
  deserialize.deserializeProperties = (struct, proxySecrets) => {
    if (proxySecrets || !struct) return decode(struct, proxySecrets);
    if (!memo.has(struct)) memo.set(struct, decode(struct, false));
    return memo.get(struct);
  };
  try {
    return await new Promise((resolve) =>
      handler({ request }, (err, res) => resolve(err ? { error: err.message.replace(FRAMES, "") } : res?.toObject())),
    );
  } finally {
    globalThis.Date = RealDate;
    deserialize.deserializeProperties = decode;
  }
}

const NOW = Date.parse("2026-12-01T12:00:00Z");
class FixedDate extends Date {
  constructor(...args: ConstructorParameters<DateConstructor> | []) {
    if (args.length === 0) super(NOW);
    else super(...(args as [string]));
  }
  static override now(): number {
    return NOW;
  }
}

/** Frames that differ by construction: inside the moved block, and this spec's own call sites. */
const FRAMES =
  /\n {4}at (appRolloutStackResources .*|.*server\.js:(3[4-9]\d|40\d):\d+\)?|.*pack-stack-resources\.test\.ts.*)/g;

const stackPolicies = allPolicies.filter((p) => "validateStack" in p);

describe("analyzeStack's resource views built once per call (tools/pack-stack-resources.js)", function () {
  this.timeout(60_000);
  const shipped = load(SOURCE);
  const rewritten = load(transform(SOURCE).text);

  it("applies to the installed @pulumi/policy server.js", () => {
    const { text, applied } = transform(SOURCE);
    assert.equal(applied, true, "the anchors moved: read server.js's analyzeStack again and update the rewrite");
    assert.notEqual(text, SOURCE);
  });

  it("answers as the shipped server on both plans and a violating fixture of every stack policy", async () => {
    const names = new Set(stackPolicies.map((p) => p.name));
    const cases = [
      { what: "prod plan", stack: "prod" as const, make: (p: Awaited<ReturnType<typeof plan>>) => p },
      { what: "staging plan", stack: "staging" as const, make: (p: Awaited<ReturnType<typeof plan>>) => p },
      // A violating fixture of every stack policy (the area specs run them all against the pack).
      ...fixtures.filter((f, i, all) => names.has(f.policy) && all.findIndex((g) => g.policy === f.policy) === i),
    ];
    assert.ok(cases.length >= 20, `${cases.length} cases`);
    let withDiagnostics = 0;
    for (const c of cases) {
      const bytes = analyzeStackRequestBytes(c.make(await plan(c.stack)).resources);
      const want = await ask(shipped, stackPolicies, bytes);
      assert.deepEqual(await ask(rewritten, stackPolicies, bytes), want, c.what);
      if (((want as pb.AnalyzeResponse.AsObject).diagnosticsList ?? []).length > 0) withDiagnostics++;
    }
    assert.ok(withDiagnostics >= cases.length - 2, `${withDiagnostics} of ${cases.length} cases with diagnostics`);
  });

  it("builds each resource's view once per call, not once per stack policy", async () => {
    const resources = (await plan("prod")).resources;
    const bytes = analyzeStackRequestBytes(resources);
    const proto = pb.AnalyzerResource.prototype;
    const getOptions = proto.getOptions;
    let calls = 0;
    proto.getOptions = function (this: pb.AnalyzerResource) {
      calls++;
      return getOptions.call(this);
    };
    try {
      await ask(shipped, stackPolicies, bytes);
      const before = calls;
      calls = 0;
      await ask(rewritten, stackPolicies, bytes);
      assert.equal(calls, resources.length);
      assert.ok(before >= resources.length * (stackPolicies.length - 2), `${before} views built by the shipped one`);
    } finally {
      proto.getOptions = getOptions;
    }
  });

  it("a failure while building the views is reported for the first stack policy, as shipped", async () => {
    const bytes = analyzeStackRequestBytes((await plan("staging")).resources.slice(0, 4));
    const proto = pb.AnalyzerResource.prototype;
    const getOptions = proto.getOptions;
    proto.getOptions = () => undefined;
    try {
      const want = await ask(shipped, stackPolicies, bytes);
      assert.match(JSON.stringify(want), /A more recent version of the Pulumi CLI is required/);
      assert.deepEqual(await ask(rewritten, stackPolicies, bytes), want);
    } finally {
      proto.getOptions = getOptions;
    }
  });

  it("leaves another server.js as shipped: anchors missing, or a block that reads the policy", () => {
    const moved = SOURCE.replace("const intermediates = [];", "const intermediates = new Array();");
    assert.deepEqual(transform(moved), { text: moved, applied: false });
    const twice = SOURCE.replace(
      "const resources = req.getResourcesList();",
      "const resources = req.getResourcesList(); /* const args = { */",
    );
    assert.equal(transform(twice).applied, false);
    const readsPolicy = SOURCE.replace("const type = r.getType();", "const type = r.getType() + p.name;");
    assert.notEqual(readsPolicy, SOURCE);
    assert.equal(transform(readsPolicy).applied, false);
  });
  it("is in effect in the gate's pack process: its preloads rewrite server.js, then leave node's loader as it was", () => {
    // The preloads of gate/runtime.ts packEntry that matter here, then what the pack's entry loads.
    const script = `const M = require("node:module");
      const s = require("@pulumi/policy/server.js").makeAnalyzeStackRpcFun.toString();
      console.log(JSON.stringify({ rewritten: s.includes("appRolloutStackResources"),
        nodes: M._extensions[".js"].toString() === ${JSON.stringify("")} + process.env.NODE_JS_LOADER }));`;
    // This mocha process's own handler may be ts-node's: node's comes from a plain process.
    const plain = spawnSync(process.execPath, ["-p", 'require("node:module")._extensions[".js"].toString()'], {
      encoding: "utf8",
    });
    const r = spawnSync(process.execPath, ["-r", path.join(ROOT, "tools", "pack-memo.js"), "-e", script], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, NODE_JS_LOADER: plain.stdout.replace(/\n$/, "") },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { rewritten: true, nodes: true });
  });
});
