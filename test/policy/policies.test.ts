import * as assert from "node:assert/strict";
import type { CapturedPlan, CapturedResource } from "../../gate/capture";
import { allPolicies } from "../../policy/policies";
import { evaluate, mutate, type Pack, startPack, without } from "../support/policy";
import { plan, type StackName } from "../support/stacks";
import { fixtures, T } from "./fixtures";

function diagnosticsOf(a: Awaited<ReturnType<typeof evaluate>>, policy: string) {
  return a.diagnostics.filter((d) => d.policyName === policy);
}

describe("readiness policy pack (real pack over the analyzer gRPC protocol)", function () {
  this.timeout(120_000);
  const packs = {} as Record<StackName, Pack>;
  const plans = {} as Record<StackName, CapturedPlan>;

  before(async () => {
    for (const stack of ["staging", "prod"] as const) plans[stack] = await plan(stack);
    [packs.staging, packs.prod] = await Promise.all([startPack("staging"), startPack("prod")]);
  });
  after(() => {
    for (const p of Object.values(packs)) p?.process.close();
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

  for (const f of fixtures) {
    it(`${f.policy} catches ${f.what} (${f.stack})`, async () => {
      const a = await evaluate(packs[f.stack], f.make(plans[f.stack]), plans[f.stack]);
      const hits = diagnosticsOf(a, f.policy);
      assert.ok(
        hits.length > 0,
        `${f.policy} did not fire; got ${a.diagnostics.map((d) => d.policyName).join(", ") || "nothing"}`,
      );
      assert.ok(
        hits.some((d) => f.message.test(d.message)),
        `messages: ${hits.map((d) => d.message).join(" | ")}`,
      );
      assert.equal(hits[0].enforcementLevel, packs[f.stack].config[f.policy].enforcementLevel);
    });
  }

  it("data-deletion-safety: a restored instance in clean-up may drop protect while it keeps deletion protection", async () => {
    const retiring = mutate(plans.prod, T.db, "db-instance", (x, r) => {
      x.tags = { ...(x.tags ?? {}), "rollout/restore-state": "retiring" };
      r.options.protect = false;
    });
    assert.deepEqual(diagnosticsOf(await evaluate(packs.prod, retiring, plans.prod), "data-deletion-safety"), []);
  });

  it("every policy has at least one violating fixture", () => {
    const covered = new Set([...fixtures.map((f) => f.policy), "release-metadata", "release-window"]);
    assert.deepEqual(
      allPolicies.map((p) => p.name).filter((n) => !covered.has(n)),
      [],
    );
  });

  it("release-window: a deploy outside the window is refused, inside it passes (injected clock)", async () => {
    const pack = packs.prod;
    try {
      await pack.process.configure({
        ...pack.config,
        "release-window": { ...pack.config["release-window"], properties: { at: "2026-11-25T12:30:00Z" } },
      });
      const late = diagnosticsOf(await evaluate(pack, plans.prod, plans.prod), "release-window");
      assert.equal(late.length, 1);
      assert.match(
        late[0].message,
        /2026-11-25T12:30:00\.000Z is after the release window \(2026-11-25T09:00:00Z – 2026-11-25T12:00:00Z\)/,
      );
      assert.equal(late[0].enforcementLevel, "mandatory");
      await pack.process.configure({
        ...pack.config,
        "release-window": { ...pack.config["release-window"], properties: { at: "2026-11-25T08:00:00Z" } },
      });
      assert.match(
        diagnosticsOf(await evaluate(pack, plans.prod, plans.prod), "release-window")[0].message,
        /is before the release window/,
      );
    } finally {
      await pack.process.configure(pack.config);
    }
    assert.deepEqual(diagnosticsOf(await evaluate(pack, plans.prod, plans.prod), "release-window"), []);
  });

  it("release-metadata: a stack config without rollback owner is refused (policy reads PULUMI_CONFIG)", async () => {
    const pack = await startPack("prod", { release: { rollbackOwner: " " } });
    try {
      const hits = diagnosticsOf(await evaluate(pack, plans.prod, plans.prod), "release-metadata");
      assert.equal(hits.length, 1);
      assert.match(hits[0].message, /app:release is missing rollbackOwner/);
    } finally {
      pack.process.close();
    }
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
