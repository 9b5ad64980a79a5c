/** The edge-* policies: their violating fixtures (fixtures/edge.ts) against the real pack, and their own cases. */
import * as assert from "node:assert/strict";
import type { CapturedPlan } from "../../gate/capture";
import { evaluate } from "../support/policy";
import { describeArea, diagnosticsOf } from "./area";

const RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

/** The plan plus an ingress rule covering 8443 on a security group that is not the load balancer's. */
function withForeignRule(plan: CapturedPlan, inputs: Record<string, unknown>): CapturedPlan {
  const copy = structuredClone(plan);
  const template = copy.resources.find((r) => r.type === RULE && r.name === "edge-in-test-0");
  const group = copy.resources.find((r) => r.type === "aws:ec2/securityGroup:SecurityGroup" && r.name !== "edge-sg");
  if (!template || !group) throw new Error("fixture: no test listener rule or no other security group");
  const urn = template.urn.replace(/edge-in-test-0$/, "db-in-vpc");
  const props = { ...inputs, securityGroupId: "sg-0123456789abcdef0", fromPort: 0, toPort: 65535, ipProtocol: "tcp" };
  copy.resources.push({
    ...structuredClone(template),
    urn,
    name: "db-in-vpc",
    inputs: props,
    outputs: props,
    propertyDependencies: { securityGroupId: [group.urn] },
    dependencies: [group.urn],
  });
  return copy;
}

describeArea("edge", ({ packs, plans }) => {
  it("edge-test-listener-restricted judges the load balancer's rules only: another group's VPC-wide rule passes", async () => {
    const plan = withForeignRule(plans.prod, { cidrIpv4: "10.0.0.0/16" });
    assert.deepEqual(diagnosticsOf(await evaluate(packs.prod, plan, plans.prod), "edge-test-listener-restricted"), []);
  });

  it("edge-test-listener-restricted refuses a prefix list on the load balancer's test port", async () => {
    const plan = structuredClone(plans.prod);
    const rule = plan.resources.find((r) => r.type === RULE && r.name === "edge-in-test-0")!;
    for (const props of [rule.inputs, rule.outputs ?? {}]) {
      delete props.cidrIpv4;
      props.prefixListId = "pl-0123456789abcdef0";
    }
    const hits = diagnosticsOf(await evaluate(packs.prod, plan, plans.prod), "edge-test-listener-restricted");
    assert.match(hits[0]?.message ?? "", /admits prefix list pl-0123456789abcdef0 to the test listener port 8443/);
  });
});
