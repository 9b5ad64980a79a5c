/**
 * The twin rejects what reality rejects: one test per modelled constraint (docs/twin.md lists the sources).
 * The engine is driven with small hand-made plans through an evaluator stand-in (the program and the pack
 * are exercised for real by the scenario library); the cloud, backend and CloudWatch models are used directly.
 */
import * as assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { Analysis, Diagnostic } from "../../gate/analyzer";
import type { CapturedResource } from "../../gate/capture";
import type { Evaluator } from "../../gate/evaluator";
import type { StackError } from "../../rollout/ports";
import { DEFAULT_HISTORY_PAGE_SIZE, LOCKED_ERROR, TwinBackend } from "../../rollout/twin/backend";
import { TwinClock, TwinProcess } from "../../rollout/twin/clock";
import { CloudError, TwinCloud } from "../../rollout/twin/cloud";
import { type AlarmDefinition, type MinuteSample, TwinCloudWatch } from "../../rollout/twin/cloudwatch";
import { TwinEngine } from "../../rollout/twin/engine";
import { UNABLE_TO_DECRYPT } from "../../rollout/twin/secrets";
import { TwinStack } from "../../rollout/twin/stack";
import { capturedResource } from "../support/resources";
import { ROOT } from "../support/stacks";

const STACK = "prod";
const T0 = Date.parse("2026-11-25T09:00:00Z");

const violation = (policyName: string, urn = ""): Diagnostic => ({
  policyName,
  policyPackName: "p",
  policyPackVersion: "1",
  description: "",
  message: `${policyName} violated`,
  enforcementLevel: "mandatory",
  severity: "high",
  urn,
});

/** Stands in for the evaluator: returns the plan it is given and the verdicts it is told. */
function evaluatorOf(w: { plan: CapturedResource[]; before?: Diagnostic[]; after?: Diagnostic[] }): Evaluator {
  const none: Analysis = { diagnostics: [], notApplicable: [] };
  const fake = {
    plan: async (files: unknown) => ({
      ok: true,
      files,
      plan: { project: "app", stack: STACK, resources: w.plan, outputs: {} },
    }),
    warm: async () => ({ name: "p", version: "1", policies: [] }),
    session: async (_f: unknown, _c: unknown, f: (s: unknown) => Promise<unknown>) =>
      f({
        analyze: async (rs: CapturedResource[]) => ({
          ...none,
          diagnostics: (w.before ?? []).filter((d) => rs.some((r) => r.urn === d.urn)),
        }),
        analyzeStack: async () => ({ ...none, diagnostics: w.after ?? [] }),
      }),
  };
  // The engine uses only plan/warm/session of the evaluator; the rest of the class is irrelevant here.
  return fake as unknown as Evaluator;
}

function harness(w: { plan: CapturedResource[]; before?: Diagnostic[]; after?: Diagnostic[] }) {
  const clock = new TwinClock(T0);
  const backend = new TwinBackend();
  const jobs: Record<string, boolean> = {};
  const cloud = new TwinCloud("eu-central-1", {
    now: () => clock.nowMs(),
    runJob: async (j) => ({
      ok: jobs[j.name] ?? true,
      output: jobs[j.name] === false ? "exit 1" : "ok",
      durationMs: 1000,
    }),
  });
  const hooks: { afterStep?: () => void } = {};
  const world = { plan: w.plan, before: w.before, after: w.after };
  const engine = new TwinEngine({
    dir: ROOT,
    backend,
    cloud,
    clock,
    evaluator: evaluatorOf(world),
    hooks: { afterStep: () => hooks.afterStep?.() },
  });
  const dir = mkdtempSync(path.join(tmpdir(), "twin-test-"));
  const policy = path.join(dir, "policy.json");
  writeFileSync(policy, "{}\n");
  const configFile = path.join(ROOT, `Pulumi.${STACK}.yaml`);
  const proc = new TwinProcess("driver", clock);
  const stack = new TwinStack(STACK, engine, backend, proc);
  const up = (message = "up", p = proc) =>
    clock.drive(new TwinStack(STACK, engine, backend, p).up({ message, configFile, policyPackConfigFile: policy }));
  return { clock, backend, cloud, jobs, world, up, stack, proc, hooks };
}

const failure = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (e) {
    return e as StackError;
  }
  assert.fail("expected the update to fail");
};

describe("twin: the constraints reality imposes", () => {
  it("a retained snapshot keeps its identifier: creating it again fails with DBSnapshotAlreadyExists", async () => {
    const snap = capturedResource(
      STACK,
      "aws:rds/snapshot:Snapshot",
      "snap",
      { dbInstanceIdentifier: "db", dbSnapshotIdentifier: "db-pre-1-4-0" },
      { retainOnDelete: true },
    );
    const h = harness({ plan: [snap] });
    await h.up();
    h.world.plan = [];
    await h.up("remove it");
    assert.deepEqual(
      h.cloud.retained().map((p) => p.name),
      ["db-pre-1-4-0"],
    );
    h.world.plan = [snap];
    const e = await failure(h.up("re-create it (a rollback restoring release 1.4.0)"));
    assert.equal(e.kind, "update-failed");
    assert.match(
      e.message,
      /DBSnapshotAlreadyExists: Cannot create the snapshot because a snapshot with the identifier db-pre-1-4-0 already exists.*retained on delete/s,
    );
  });

  it("a protected resource refuses replacement and deletion", async () => {
    const db = (engine: string) =>
      capturedResource(STACK, "aws:rds/instance:Instance", "db", { identifier: "db", engine }, { protect: true });
    const h = harness({ plan: [db("postgres")] });
    await h.up();
    h.world.plan = [db("aurora-postgresql")];
    assert.match((await failure(h.up())).message, /unable to replace resource .* marked for protection/);
    h.world.plan = [];
    assert.match((await failure(h.up())).message, /unable to delete resource .* marked for protection/);
  });

  it("deletion protection refuses the delete of an RDS instance", () => {
    const h = harness({ plan: [] });
    return (async () => {
      const { physical } = await h.cloud.create(
        capturedResource(STACK, "aws:rds/instance:Instance", "db", { identifier: "db", deletionProtection: true }),
      );
      assert.throws(
        () => h.cloud.delete(physical),
        (e: Error) => e instanceof CloudError && /Cannot delete protected DB Instance/.test(e.message),
      );
    })();
  });

  it("a failed Job fails every later up that does not replace it; replaceUnready replaces it", async () => {
    const job = (annotations: Record<string, string> = {}) =>
      capturedResource(STACK, "kubernetes:batch/v1:Job", "migrate", {
        metadata: { name: "migrate-1", namespace: "app", annotations },
        spec: { template: { spec: { containers: [{ image: "m" }] } } },
      });
    const h = harness({ plan: [job()] });
    h.jobs["migrate-1"] = false;
    assert.match((await failure(h.up())).message, /Job migrate-1 failed/);
    assert.match((await failure(h.up("again, unchanged"))).message, /has failed and is not replaced/);
    h.jobs["migrate-1"] = true;
    h.world.plan = [job({ "pulumi.com/replaceUnready": "true" })];
    const out = await h.up("with replaceUnready");
    assert.equal(out.changes.replace, 1);
  });

  it("a Job's template is immutable: a new image replaces the Job (delete first: same name)", async () => {
    const job = (image: string) =>
      capturedResource(STACK, "kubernetes:batch/v1:Job", "j", {
        metadata: { name: "j", namespace: "app" },
        spec: { template: { spec: { containers: [{ image }] } } },
      });
    const h = harness({ plan: [job("a")] });
    await h.up();
    h.world.plan = [job("b")];
    assert.equal((await h.up()).changes.replace, 1);
    assert.equal(h.cloud.jobRuns.length, 2, "the replacement ran the Job again");
  });

  it("resource policies block before the step; stack policies fail the update after its changes are applied", async () => {
    const tg = capturedResource(STACK, "aws:lb/targetGroup:TargetGroup", "tg", { name: "tg", port: 80 });
    const h = harness({ plan: [tg], before: [violation("resource-rule", tg.urn)] });
    const before = await failure(h.up());
    assert.match(before.message, /resource-rule/);
    assert.equal(before.changesStarted, false);
    assert.equal(h.cloud.physicals.size, 0, "nothing was created");
    h.world.before = [];
    h.world.after = [violation("stack-rule")];
    const after = await failure(h.up());
    assert.match(after.message, /after the update's changes were applied[\s\S]*stack-rule/);
    assert.equal(after.changesStarted, true);
    assert.equal(h.cloud.physicals.size, 1, "the change stayed applied");
  });

  it("a process killed inside up leaves the stack locked with the CLI's 409 until pulumi cancel", async () => {
    const h = harness({
      plan: [
        capturedResource(STACK, "aws:lb/targetGroup:TargetGroup", "a", { name: "a" }),
        capturedResource(STACK, "aws:lb/targetGroup:TargetGroup", "b", { name: "b" }, {}, 1),
      ],
    });
    const dying = new TwinProcess("ci-runner", h.clock);
    h.hooks.afterStep = () => dying.kill();
    const run = h.up("killed", dying);
    await h.clock.drive(Promise.race([run, dying.killed]));
    h.hooks.afterStep = undefined;
    const e = await failure(h.up("next"));
    assert.equal(e.kind, "locked");
    assert.equal(e.message, LOCKED_ERROR);
    const [latest] = await h.stack.history(1, 1);
    assert.equal(latest.result, "in-progress");
    await h.stack.cancel();
    await h.up("after cancel");
  });

  it("history pages like the CLI and shows old secrets as ERROR_UNABLE_TO_DECRYPT after a provider change", () => {
    const b = new TwinBackend();
    const s = b.stack(STACK);
    const secret = s.secrets.encrypt("hunter2");
    for (let v = 1; v <= 12; v++)
      s.updates.push({
        version: v,
        kind: "update",
        message: `u${v}`,
        result: "succeeded",
        startTime: T0 + v,
        config: { "app:k": { value: secret, secret: true } },
        steps: [],
        policyFailures: [],
      });
    assert.equal(b.history(STACK).length, DEFAULT_HISTORY_PAGE_SIZE);
    assert.deepEqual(
      b.history(STACK, { page: 2 }).map((u) => u.version),
      [2, 1],
    );
    assert.equal(b.history(STACK, { pageSize: 1, showSecrets: true })[0].config["app:k"].value, "hunter2");
    b.changeSecretsProvider(STACK);
    assert.equal(b.history(STACK, { pageSize: 1, showSecrets: true })[0].config["app:k"].value, UNABLE_TO_DECRYPT);
    assert.equal(b.history(STACK, { pageSize: 1 })[0].config["app:k"].value, "[secret]");
  });
});

describe("twin CloudWatch: alarm states from the definitions and the data", () => {
  const TG = "targetgroup/tg-green/abc";
  const errorRate = (treatMissingData: string): AlarmDefinition => ({
    kind: "metric",
    name: "green-error-rate",
    createdAt: T0 - 3600_000,
    inputs: {
      comparisonOperator: "GreaterThanThreshold",
      threshold: 1,
      evaluationPeriods: 5,
      datapointsToAlarm: 5,
      treatMissingData,
      metricQueries: [
        {
          id: "m5xx",
          metric: {
            namespace: "AWS/ApplicationELB",
            metricName: "HTTPCode_Target_5XX_Count",
            dimensions: { TargetGroup: TG },
            period: 60,
            stat: "Sum",
          },
          returnData: false,
        },
        {
          id: "mRequests",
          metric: {
            namespace: "AWS/ApplicationELB",
            metricName: "RequestCount",
            dimensions: { TargetGroup: TG },
            period: 60,
            stat: "Sum",
          },
          returnData: false,
        },
        { id: "rate", expression: "100*FILL(m5xx,0)/mRequests", returnData: true },
      ],
    },
  });
  const composite: AlarmDefinition = {
    kind: "composite",
    name: "green-rollback",
    createdAt: T0 - 3600_000,
    inputs: { alarmRule: 'ALARM("green-error-rate")' },
  };
  const world = (o: { requests: number; errors: number; defs: AlarmDefinition[]; throttle?: number[] }) => {
    let now = T0;
    const cw = new TwinCloudWatch({
      now: () => now,
      alarms: () => o.defs,
      metrics: (): MinuteSample => ({
        targetGroups: {
          [TG]: {
            requests: o.requests,
            target5xx: o.errors,
            healthyHosts: 2,
            unhealthyHosts: 0,
            p95Seconds: o.requests ? 0.1 : undefined,
          },
        },
        loadBalancers: {},
        databases: {},
        custom: [],
      }),
      faults: { throttle: { calls: o.throttle ?? [] } },
    });
    return { cw, at: (ms: number) => (now = ms) };
  };

  it("5 % errors for 5 minutes: ALARM, and the composite follows", async () => {
    const w = world({ requests: 1000, errors: 50, defs: [errorRate("notBreaching"), composite] });
    assert.deepEqual(await w.cw.states(["green-rollback", "green-error-rate"]), {
      "green-rollback": "ALARM",
      "green-error-rate": "ALARM",
    });
  });

  it("no requests: no datapoints — notBreaching says OK, missing says INSUFFICIENT_DATA (never evidence)", async () => {
    assert.deepEqual(
      await world({ requests: 0, errors: 0, defs: [errorRate("notBreaching")] }).cw.states(["green-error-rate"]),
      { "green-error-rate": "OK" },
    );
    assert.deepEqual(
      await world({ requests: 0, errors: 0, defs: [errorRate("missing")] }).cw.states(["green-error-rate"]),
      { "green-error-rate": "INSUFFICIENT_DATA" },
    );
  });

  it("a new alarm is INSUFFICIENT_DATA until its first evaluation; unknown names are absent", async () => {
    const w = world({ requests: 1000, errors: 0, defs: [{ ...composite, createdAt: T0 }, errorRate("notBreaching")] });
    assert.deepEqual(await w.cw.states(["green-rollback", "no-such-alarm"]), { "green-rollback": "INSUFFICIENT_DATA" });
    w.at(T0 + 120_000);
    assert.deepEqual(await w.cw.states(["green-rollback"]), { "green-rollback": "OK" });
  });

  it("an alarm redefined by an update is judged by its new definition, even within the same minute", async () => {
    const defs = [errorRate("notBreaching")];
    const w = world({ requests: 1000, errors: 50, defs });
    assert.deepEqual(await w.cw.states(["green-error-rate"]), { "green-error-rate": "ALARM" });
    defs[0] = { ...defs[0], inputs: { ...defs[0].inputs, threshold: 10 } };
    assert.deepEqual(await w.cw.states(["green-error-rate"]), { "green-error-rate": "OK" });
  });

  it("polled many times a minute and through a composite: the states a fresh model gives at each poll", async () => {
    // Errors come and go minute by minute; a fresh TwinCloudWatch per poll has nothing held from before.
    const errorsAt = (ms: number) => [0, 80, 80, 80, 80, 80, 0, 0, 80, 0][Math.floor(ms / 60_000) % 10];
    // One set of definitions, as the twin cloud keeps them between updates (the held states are keyed by them).
    const defs = [errorRate("notBreaching"), { ...errorRate("missing"), name: "missing-rate" }, composite];
    const deps = (now: () => number) => ({
      now,
      alarms: () => defs,
      metrics: (ms: number): MinuteSample => ({
        targetGroups: {
          [TG]: { requests: 1000, target5xx: errorsAt(ms), healthyHosts: 2, unhealthyHosts: 0, p95Seconds: 0.1 },
        },
        loadBalancers: {},
        databases: {},
        custom: [],
      }),
    });
    let now = T0;
    const held = new TwinCloudWatch(deps(() => now));
    const names = ["green-rollback", "green-error-rate", "missing-rate"];
    const seen = new Set<string>();
    for (let k = 0; k < 30 * 4; k++, now += 15_000) {
      const fresh = await new TwinCloudWatch(deps(() => now)).states(names);
      assert.deepEqual(await held.states(names), fresh, `at +${(now - T0) / 1000} s`);
      seen.add(fresh["green-rollback"]);
    }
    assert.deepEqual([...seen].sort(), ["ALARM", "OK"], "the sequence crosses both states");
  });

  it("a state asked for a minute not reached yet is not kept: the data published by then decides", async () => {
    const defs = [errorRate("notBreaching")];
    const o = { errors: 0 };
    let now = T0;
    const cw = new TwinCloudWatch({
      now: () => now,
      alarms: () => defs,
      metrics: (): MinuteSample => ({
        targetGroups: {
          [TG]: { requests: 1000, target5xx: o.errors, healthyHosts: 2, unhealthyHosts: 0, p95Seconds: 0.1 },
        },
        loadBalancers: {},
        databases: {},
        custom: [],
      }),
    });
    const later = T0 + 8 * 60_000;
    assert.equal(cw.stateOf(defs[0], new Map(defs.map((d) => [d.name, d])), later), "OK", "no errors so far");
    o.errors = 50;
    now = later;
    assert.deepEqual(await cw.states(["green-error-rate"]), { "green-error-rate": "ALARM" });
  });

  it("treatMissingData: ignore carries the last state, which is never held as the minute's state", async () => {
    const ignoring = errorRate("ignore");
    const withData = { ...errorRate("notBreaching"), name: ignoring.name };
    const defs = [ignoring];
    const w = world({ requests: 0, errors: 0, defs });
    assert.deepEqual(await w.cw.states([ignoring.name]), { [ignoring.name]: "INSUFFICIENT_DATA" }, "nothing to carry");
    // Another definition of the same name is evaluated at the same minute (notBreaching: OK), so the
    // state to carry is now OK.
    defs[0] = withData;
    assert.deepEqual(await w.cw.states([ignoring.name]), { [ignoring.name]: "OK" });
    defs[0] = ignoring;
    assert.deepEqual(await w.cw.states([ignoring.name]), { [ignoring.name]: "OK" }, "carried, not the first answer");
  });

  it("throttling is an error, not a state", async () => {
    const w = world({ requests: 1000, errors: 0, defs: [errorRate("notBreaching")], throttle: [1] });
    await assert.rejects(w.cw.states(["green-error-rate"]), { name: "ThrottlingException" });
    assert.deepEqual(await w.cw.states(["green-error-rate"]), { "green-error-rate": "OK" });
  });
});
