import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { capturePlan, debugText, SECRET_PLACEHOLDER } from "../../gate/capture";

class Thing extends pulumi.CustomResource {
  declare readonly id: pulumi.Output<string>;
  constructor(type: string, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(type, name, props, opts);
  }
}

class Widget extends pulumi.ComponentResource {
  readonly child: Thing;
  constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Widget", name, {}, opts);
    this.child = new Thing("test:index:Part", `${name}-part`, { size: 1 }, { parent: this });
    this.registerOutputs({});
  }
}

describe("capture harness", () => {
  it("captures parents, dependency edges, inputs, options and redacts secrets", async () => {
    const plan = await capturePlan({
      project: "demo",
      stack: "test",
      config: { "demo:greeting": "hello" },
      program: async () => {
        const w = new Widget("w");
        const base = new Thing("test:index:Base", "base", { password: pulumi.secret("hunter2") });
        const top = new Thing(
          "test:index:Top",
          "top",
          { ref: base.id, greeting: new pulumi.Config().require("greeting") },
          {
            dependsOn: [w.child],
            protect: true,
            ignoreChanges: ["greeting"],
            retainOnDelete: true,
            deleteBeforeReplace: true,
          },
        );
        return { topUrn: top.urn };
      },
    });
    const get = (name: string) => {
      const r = plan.resources.find((x) => x.name === name);
      assert.ok(r, `missing ${name}`);
      return r;
    };
    const stack = get("demo-test");
    assert.equal(stack.type, "pulumi:pulumi:Stack");
    assert.equal(get("w").parent, stack.urn, "top-level resources are parented to the stack");
    assert.equal(get("w-part").parent, get("w").urn, "children are parented to their component");
    const top = get("top");
    assert.ok(top.dependencies.includes(get("w-part").urn), "explicit dependsOn is an edge");
    assert.ok(top.dependencies.includes(get("base").urn), "an input taken from another resource is an edge");
    assert.deepEqual(top.propertyDependencies.ref, [get("base").urn]);
    assert.deepEqual(
      {
        protect: top.options.protect,
        ignoreChanges: top.options.ignoreChanges,
        retainOnDelete: top.options.retainOnDelete,
        deleteBeforeReplace: top.options.deleteBeforeReplace,
      },
      { protect: true, ignoreChanges: ["greeting"], retainOnDelete: true, deleteBeforeReplace: true },
    );
    assert.equal(top.inputs.greeting, "hello", "config reaches the program");
    assert.equal(get("base").inputs.password, SECRET_PLACEHOLDER);
    assert.ok(!JSON.stringify(plan).includes("hunter2"), "a secret appeared in clear in the plan");
    assert.equal(get("base").options.protect, false);
    assert.equal(plan.outputs.topUrn, top.urn);
  });

  it("refuses two captures at once instead of mixing their resources", async () => {
    const program = async () => ({});
    const first = capturePlan({ project: "a", stack: "s", config: {}, program });
    await assert.rejects(capturePlan({ project: "b", stack: "s", config: {}, program }), /another capture is running/);
    await first;
  });

  it("takes no source position while the program runs, and gives Resource.callsites back afterwards (also after a throw)", async () => {
    // private in the SDK's typings (resource.d.ts), public at run time
    const sdk = pulumi.Resource as unknown as { callsites(): unknown[] };
    const original = sdk.callsites;
    let during: unknown[] | undefined;
    await capturePlan({
      project: "demo",
      stack: "test",
      config: {},
      program: async () => {
        during = sdk.callsites();
        new Thing("test:index:Base", "base", {});
      },
    });
    assert.deepEqual(during, [], "the program saw the SDK's unlimited stack trace");
    assert.equal(sdk.callsites, original);
    assert.ok(original().length > 0, "the restored callsites lost the stack");
    await assert.rejects(
      capturePlan({
        project: "demo",
        stack: "test",
        config: {},
        program: async () => {
          throw new Error("boom");
        },
      }),
      /boom/,
    );
    assert.equal(sdk.callsites, original);
  });
});

describe("capture harness: the SDK's debug text of each registration's answer", () => {
  const log = require("@pulumi/pulumi/log") as { debug(msg: string, ...rest: unknown[]): Promise<void> };
  const settings = require("@pulumi/pulumi/runtime/settings") as { excessiveDebugOutput: boolean };

  /** The answers' text in the SDK's "RegisterResource RPC finished" debug messages of one capture. */
  async function answersPrinted(): Promise<string[]> {
    const sdk = log.debug;
    const texts: string[] = [];
    log.debug = (msg: string, ...rest: unknown[]) => {
      if (msg.startsWith("RegisterResource RPC finished")) texts.push(msg.slice(msg.indexOf("resp: ") + 6));
      return sdk(msg, ...rest);
    };
    try {
      await capturePlan({
        project: "demo",
        stack: "test",
        config: {},
        program: async () => {
          new Thing("test:index:Base", "base", { size: 3 });
        },
      });
    } finally {
      log.debug = sdk;
    }
    return texts;
  }

  it("is not built from the whole message when log.debug drops it (no engine, no excessive debug output)", async () => {
    const texts = await answersPrinted();
    assert.deepEqual(texts, [
      "RegisterResourceResponse(urn:pulumi:test::demo::pulumi:pulumi:Stack::demo-test)",
      "RegisterResourceResponse(urn:pulumi:test::demo::pulumi:pulumi:Stack$test:index:Base::base)",
    ]);
  });

  it("is jspb's own when the SDK prints debug messages (excessiveDebugOutput)", async () => {
    // The SDK then prints its debug messages with console.log (log/index.js:50): kept out of the report.
    const print = console.log;
    settings.excessiveDebugOutput = true;
    console.log = () => undefined;
    let texts: string[];
    try {
      texts = await answersPrinted();
    } finally {
      settings.excessiveDebugOutput = false;
      console.log = print;
    }
    assert.equal(texts.length, 2);
    assert.match(texts[1], /^urn:pulumi:test::demo::pulumi:pulumi:Stack\$test:index:Base::base,base-id,/);
  });

  it("is jspb's own when an engine is attached (log.debug sends it), asked when the text is made", () => {
    const resproto = require("@pulumi/pulumi/proto/resource_pb") as {
      RegisterResourceResponse: new () => { setUrn(u: string): void; setId(i: string): void; toString(): string };
    };
    const answer = new resproto.RegisterResourceResponse();
    answer.setUrn("urn:pulumi:test::demo::test:index:Base::base");
    answer.setId("base-id");
    const sdk = settings as unknown as { getEngine(): unknown };
    const getEngine = sdk.getEngine;
    assert.equal(
      debugText.call(answer as never),
      "RegisterResourceResponse(urn:pulumi:test::demo::test:index:Base::base)",
    );
    sdk.getEngine = () => ({});
    try {
      assert.equal(debugText.call(answer as never), answer.toString());
      assert.match(answer.toString(), /^urn:pulumi:test::demo::test:index:Base::base,base-id/);
    } finally {
      sdk.getEngine = getEngine;
    }
  });
});

describe("capture harness: the SDK's promise wrapper while the program runs", () => {
  const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
    debuggablePromise<T>(p: Promise<T>, ctx: string): Promise<T>;
  };
  const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { leakCandidates: Set<Promise<unknown>> } };

  it("keeps leak tracking and err.promise without the per-promise debug properties, and is restored after", async () => {
    const sdk = debuggable.debuggablePromise;
    const seen: string[] = [];
    await capturePlan({
      project: "demo",
      stack: "test",
      config: {},
      program: async () => {
        assert.notEqual(debuggable.debuggablePromise, sdk, "the SDK's wrapper ran during the capture");
        debuggable.debuggablePromise(Promise.resolve(0), "warm"); // the first call is the SDK's own
        let settle: (v: number) => void = () => undefined;
        const pending = new Promise<number>((r) => {
          settle = r;
        });
        const wrapped = debuggable.debuggablePromise(pending, "pending");
        assert.ok(state.getStore().leakCandidates.has(pending), "an unsettled promise is not a leak candidate");
        assert.equal(Object.getOwnPropertyDescriptor(pending, "_debugStackTrace"), undefined);
        settle(1);
        assert.equal(await wrapped, 1);
        assert.ok(!state.getStore().leakCandidates.has(pending), "a settled promise is still a leak candidate");
        const failing = Promise.reject(new Error("boom"));
        await debuggable.debuggablePromise(failing, "failing").catch((e: Error & { promise?: unknown }) => {
          seen.push(e.message);
          assert.equal(e.promise, failing, "the rejection does not carry its promise");
        });
        return {};
      },
    });
    assert.deepEqual(seen, ["boom"]);
    assert.equal(debuggable.debuggablePromise, sdk, "the SDK's wrapper was not restored");
  });
});
