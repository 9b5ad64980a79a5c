import * as assert from "node:assert/strict";
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import { ChildNameError, Component } from "../../components/component";
import { capturePlan } from "../../gate/capture";

class Pair extends Component {
  constructor(name: string, childNames: [string, string], opts?: pulumi.ComponentResourceOptions) {
    super("test:index:Pair", name, opts);
    for (const n of childNames) new aws.sns.Topic(n, {}, { parent: this });
    this.registerOutputs({});
  }
}

const run = (program: () => void) => capturePlan({ project: "p", stack: "s", config: {}, program });

describe("Component base (components/component.ts)", () => {
  it("refuses a child whose logical name does not start with the component's name, naming both", async () => {
    await assert.rejects(
      run(() => void new Pair("alerts", ["alerts-topic", "topic"])),
      (e: Error) =>
        e instanceof ChildNameError &&
        /In component "alerts" \(test:index:Pair\), the logical name of "topic" \(aws:sns\/topic:Topic\) does not start with its parent's name "alerts"/.test(
          e.message,
        ),
    );
  });

  it("forwards dependsOn and retainOnDelete to every direct child; protect is inherited by the SDK", async () => {
    const plan = await run(() => {
      const first = new aws.sns.Topic("first", {});
      new Pair("pair", ["pair-a", "pair-b"], { dependsOn: [first], retainOnDelete: true, protect: true });
    });
    const children = plan.resources.filter((r) => r.name.startsWith("pair-"));
    assert.equal(children.length, 2);
    for (const c of children) {
      assert.deepEqual(c.dependencies, ["urn:pulumi:s::p::pulumi:pulumi:Stack$aws:sns/topic:Topic::first"], c.name);
      assert.equal(c.options.retainOnDelete, true, c.name);
      assert.equal(c.options.protect, true, c.name);
    }
  });

  it("a child's own dependsOn is kept beside the component's", async () => {
    const plan = await run(() => {
      const first = new aws.sns.Topic("first", {});
      const second = new aws.sns.Topic("second", {});
      class Chain extends Component {
        constructor(name: string, opts?: pulumi.ComponentResourceOptions) {
          super("test:index:Chain", name, opts);
          new aws.sns.Topic(`${name}-t`, {}, { parent: this, dependsOn: [second] });
        }
      }
      new Chain("chain", { dependsOn: [first] });
    });
    const t = plan.resources.find((r) => r.name === "chain-t");
    assert.deepEqual([...(t?.dependencies ?? [])].sort(), [
      "urn:pulumi:s::p::pulumi:pulumi:Stack$aws:sns/topic:Topic::first",
      "urn:pulumi:s::p::pulumi:pulumi:Stack$aws:sns/topic:Topic::second",
    ]);
  });
});
