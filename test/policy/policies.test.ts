import * as assert from "node:assert/strict";
import type { CapturedPlan, CapturedResource } from "../../gate/capture";
import { allPolicies } from "../../policy/policies";
import { evaluate, mutate, type Pack, sharedPack, without } from "../support/policy";
import { plan, STACKS, type StackName } from "../support/stacks";
import { diagnosticsOf } from "./area";
import { fixtures, T } from "./fixtures";

describe("readiness policy pack as a whole (real pack over the analyzer gRPC protocol; the fixtures run per area: <area>.test.ts)", function () {
  this.timeout(120_000);
  const packs = {} as Record<StackName, Pack>;
  const plans = {} as Record<StackName, CapturedPlan>;

  before(async () => {
    for (const stack of STACKS) plans[stack] = await plan(stack);
    for (const stack of STACKS) packs[stack] = await sharedPack(stack);
  });

  it("serves every policy with its metadata (getAnalyzerInfo)", () => {
    const info = packs.prod.info;
    assert.equal(info.name, "app-readiness");
    assert.equal(info.version, "1.0.0");
    assert.deepEqual(info.policies.map((p) => p.name).sort(), allPolicies.map((p) => p.name).sort());
    for (const p of allPolicies) {
      assert.match(p.name, new RegExp(`^${p.area}-[a-z0-9-]+$`), `${p.name} is named <area>-<check>`);
      assert.ok(
        p.severity && p.readiness.length > 0 && p.remediationSteps && p.enforcementLevel && p.description,
        `${p.name} metadata`,
      );
      const served = info.policies.find((x) => x.name === p.name)!;
      assert.equal(served.severity, p.severity);
    }
  });

  for (const stack of ["staging", "prod"] as const) {
    it(`the committed ${stack} plan passes every policy (inside its release window)`, async () => {
      const a = await packs[stack].process.analyzeAll(plans[stack].resources);
      assert.deepEqual(
        a.diagnostics.map((d) => `${d.policyName}: ${d.message}`),
        [],
      );
    });
  }

  it("every policy has at least one violating fixture", () => {
    const covered = new Set([...fixtures.map((f) => f.policy), "release-metadata", "release-window"]);
    assert.deepEqual(
      allPolicies.map((p) => p.name).filter((n) => !covered.has(n)),
      [],
    );
  });

  it("staging enforcement: advisory where configured, disabled policies stay silent, mandatory ones stay mandatory", async () => {
    const p = plans.staging;
    const short = mutate(p, T.db, "db-instance", (x) => {
      x.backupRetentionPeriod = 3;
      x.multiAz = false;
      x.publiclyAccessible = true;
    });
    const a = await evaluate(packs.staging, short, p);
    assert.equal(diagnosticsOf(a, "data-pitr-retention")[0]?.enforcementLevel, "advisory");
    assert.match(
      diagnosticsOf(a, "data-pitr-retention")[0].message,
      /3 day\(s\); point-in-time recovery needs at least 7/,
    );
    assert.deepEqual(diagnosticsOf(a, "data-multi-az"), [], "data-multi-az is disabled in staging");
    assert.equal(diagnosticsOf(a, "data-not-public")[0]?.enforcementLevel, "mandatory");
  });

  it("notApplicable: a stack policy with nothing to judge says why", async () => {
    const noTest = without(plans.prod, (r: CapturedResource) => r.name === "edge-test");
    const a = await evaluate(packs.prod, noTest, plans.prod);
    assert.deepEqual(diagnosticsOf(a, "edge-test-listener-restricted"), []);
    assert.ok(
      a.notApplicable.some(
        (n) => n.policyName === "edge-test-listener-restricted" && /no listener on the test port 8443/.test(n.reason),
      ),
      JSON.stringify(a.notApplicable),
    );
  });

  it(`fixtures are hand-made violations of real plans: at least 30 distinct ones (${fixtures.length + 3})`, () => {
    assert.ok(fixtures.length + 3 >= 30);
    assert.equal(new Set(fixtures.map((f) => `${f.policy}:${f.what}`)).size, fixtures.length);
  });
});
