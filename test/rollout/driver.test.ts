import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { NAMESPACE } from "../../config/load";
import { diffPlans } from "../../gate/diff";
import { planStack } from "../../gate/plan";
import { main } from "../../rollout/cli";
import type { StructuredConfig } from "../../rollout/config-state";
import { RefusedError, RolloutDriver } from "../../rollout/driver";
import { runSmokeTest } from "../../smoke/check";
import { type Harness, harness } from "../support/rollout-fakes";
import { ROOT } from "../support/stacks";

const REPO = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/artifortress/api";
const NEW = `${REPO}:sha-9f8e7d6`;
const START = "2026-11-25T09:30:00Z";
const GREEN_ALARM = "artifortress-prod-green-rollback";

// biome-ignore lint/suspicious/noExplicitAny: reading structured config values in assertions
const app = (c: StructuredConfig, key: string): any => c[`${NAMESPACE}:${key}`]?.value;
const stageOf = (message: string) => message.replace(/^rollout [^:]+: /, "");

function release(h: Harness) {
  return new RolloutDriver(h.deps).start(NEW, { version: "1.5.0" });
}

describe("rollout driver (fake stack, fake CloudWatch, fake clock)", () => {
  it("a happy release walks every stage in order, bakes, watches and writes the ledger", async () => {
    const h = harness("prod", START);
    const before = structuredClone(h.stack.config);
    const out = await release(h);
    assert.equal(out.result, "released");
    assert.deepEqual(
      h.stack.ups.map((u) => stageOf(u.message)),
      ["pause-worker", "deploy", "traffic-10", "traffic-50", "traffic-100", "flip", "resume-worker"],
    );
    const at = (stage: string) => h.stack.ups.find((u) => stageOf(u.message) === stage)!.config;
    assert.equal(app(at("pause-worker"), "worker").paused, true);
    assert.equal(app(at("deploy"), "blueGreen").green.image, NEW, "the new image goes to the idle color");
    assert.equal(app(at("deploy"), "blueGreen").canaryWeight, 0, "deployed at weight 0");
    assert.equal(app(at("deploy"), "release").version, "1.5.0");
    assert.equal(app(at("deploy"), "release").commit, "9f8e7d6");
    assert.deepEqual(
      ["traffic-10", "traffic-50", "traffic-100"].map((s) => app(at(s), "blueGreen").canaryWeight),
      [10, 50, 100],
    );
    assert.equal(app(at("flip"), "blueGreen").live, "green");
    assert.equal(app(at("flip"), "blueGreen").canaryWeight, 0);
    assert.equal(app(h.stack.config, "worker").paused, false);
    assert.equal(
      app(h.stack.config, "blueGreen").blue.image,
      app(before, "blueGreen").blue.image,
      "the old color keeps running its image",
    );
    // 3 bakes of 15 min, then 60 min of watch, all polled every 15 s on the green rollback alarm.
    const minutes = (h.clock.ms - Date.parse(START)) / 60_000;
    assert.equal(minutes, 3 * 15 + 60);
    assert.ok(h.alarms.polls.every((p) => p.names.includes(GREEN_ALARM)));
    const gaps = h.alarms.polls.slice(1).map((p, i) => p.at - h.alarms.polls[i].at);
    assert.ok(Math.max(...gaps) <= 15_000, "never more than one poll interval between polls");
    const [entry] = h.ledger.read("prod");
    assert.equal(entry.outcome, "released");
    assert.equal(entry.who, "test-engineer");
    assert.deepEqual(entry.from, { color: "blue", image: `${REPO}:sha-1a2b3c4` });
    assert.deepEqual(entry.to, { color: "green", image: NEW });
    assert.deepEqual(entry.stagesReached, [
      "pause-worker",
      "deploy",
      "traffic-10",
      "traffic-50",
      "traffic-100",
      "flip",
      "resume-worker",
      "watch",
    ]);
  });

  for (const weight of [10, 50]) {
    it(`an alarm at ${weight}% rolls back to 100% on the previous color within one poll interval`, async () => {
      const h = harness("prod", START);
      const before = structuredClone(h.stack.config);
      let alarmAt = 0;
      h.stack.duringUp = async (call) => {
        if (stageOf(call.message) === `traffic-${weight}`) alarmAt = call.at + 37_000; // the canary breaks 37 s into the bake
      };
      h.alarms.state = (name, at) => (name === GREEN_ALARM && alarmAt && at >= alarmAt ? "ALARM" : "OK");
      const out = await release(h);
      assert.equal(out.result, "rolled-back");
      const rollbackUp = h.stack.ups.at(-2)!;
      assert.match(
        rollbackUp.message,
        /^rollback of 1\.5\.0: traffic to blue \(alarm artifortress-prod-green-rollback is in ALARM during bake at \d+%\)/,
      );
      assert.equal(app(rollbackUp.config, "blueGreen").canaryWeight, 0, "the first rollback up moves traffic");
      assert.match(h.stack.ups.at(-1)!.message, /restore the config from before the release/);
      assert.ok(rollbackUp.at - alarmAt <= 15_000, `rollback up started ${rollbackUp.at - alarmAt} ms after the alarm`);
      assert.deepEqual(h.stack.config, before, "the config from before the release is restored");
      assert.equal(app(h.stack.config, "blueGreen").live, "blue");
      assert.equal(app(h.stack.config, "blueGreen").canaryWeight, 0, "100% of traffic on blue");
      const [entry] = h.ledger.read("prod");
      assert.equal(entry.outcome, "rolled-back");
      assert.match(entry.reason ?? "", /alarm artifortress-prod-green-rollback is in ALARM/);
      assert.deepEqual(
        entry.stagesReached,
        weight === 10 ? ["pause-worker", "deploy"] : ["pause-worker", "deploy", "traffic-10"],
      );
    });
  }

  it("a failed up rolls back and records why", async () => {
    const h = harness("prod", START);
    const before = structuredClone(h.stack.config);
    h.stack.failUp = (call) =>
      stageOf(call.message) === "traffic-50"
        ? "aws:lb/listener:Listener traffic-https: ValidationError: throttled"
        : undefined;
    const out = await release(h);
    assert.equal(out.result, "rolled-back");
    assert.deepEqual(h.stack.config, before);
    assert.match(h.ledger.read("prod")[0].reason ?? "", /^traffic-50 failed: .*ValidationError: throttled/);
  });

  it("a failed smoke test (real local server reporting the old version) fails the deploy up and rolls back", async () => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(req.url === "/version" ? { version: "1.4.0" } : { status: "ready" }));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const h = harness("prod", START);
      const before = structuredClone(h.stack.config);
      h.stack.duringUp = async (call) => {
        if (stageOf(call.message) !== "deploy") return;
        const r = await runSmokeTest({
          url,
          expectVersion: app(call.config, "release").version,
          deadlineMs: 50,
          intervalMs: 10,
          requestTimeoutMs: 500,
          sleep: async () => undefined,
        });
        if (!r.ok) throw new Error(`command:local:Command smoke-test-run: ${r.message}`);
      };
      const out = await release(h);
      assert.equal(out.result, "rolled-back");
      assert.deepEqual(h.stack.ups.map((u) => stageOf(u.message)).slice(0, 2), ["pause-worker", "deploy"]);
      assert.deepEqual(h.stack.config, before, "traffic never moved: the old config is back");
      assert.match(
        h.ledger.read("prod")[0].reason ?? "",
        /deploy failed: .*\/version reports "1\.4\.0", expected "1\.5\.0"/,
      );
    } finally {
      server.close();
    }
  });

  it("a driver killed during a stage resumes at the stage it did not finish", async () => {
    const h = harness("prod", START);
    h.stack.hangOn = (call) =>
      stageOf(call.message) === "traffic-50" && !h.stack.ups.some((u) => stageOf(u.message) === "traffic-100");
    void release(h); // this driver "dies" inside the traffic-50 up
    for (let i = 0; i < 50 && h.stack.ups.length < 4; i++) await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      h.stack.ups.map((u) => stageOf(u.message)),
      ["pause-worker", "deploy", "traffic-10", "traffic-50"],
    );
    const second = new RolloutDriver(h.deps);
    assert.deepEqual(second.readProgress()?.completed, ["pause-worker", "deploy", "traffic-10"]);
    h.stack.hangOn = undefined;
    const out = await second.resume();
    assert.equal(out.result, "released");
    assert.deepEqual(
      h.stack.ups.map((u) => stageOf(u.message)).slice(4),
      ["traffic-50", "traffic-100", "flip", "resume-worker"],
      "resumed at the unfinished stage, nothing repeated before it",
    );
    await assert.rejects(new RolloutDriver(h.deps).resume(), RefusedError);
  });

  it("rollback restores exactly the config of the last successful update of the previous release", async () => {
    const h = harness("prod", START);
    const previous = structuredClone(h.stack.config); // release 1.4.0
    await h.stack.up("initial"); // update 1 (1.4.0)
    h.stack.failUp = (c) => (c.message === "broken" ? "boom" : undefined);
    assert.equal((await release(h)).result, "released"); // updates 2..8 (1.5.0)
    await h.stack.up("broken").catch(() => undefined);
    const out = await new RolloutDriver(h.deps).rollback();
    assert.equal(out.result, "rolled-back");
    assert.deepEqual(h.stack.config, previous);
    assert.match(h.stack.ups.at(-1)!.message, /^rollback to update 1$/);
    assert.equal(h.ledger.read("prod").at(-1)?.kind, "rollback");
    const to = await new RolloutDriver(h.deps).rollback(3);
    assert.equal(to.result, "rolled-back");
    assert.deepEqual(h.stack.config, h.stack.records[2].config, "--to restores that update's config");
  });

  it("rollback refuses when there is no previous successful release", async () => {
    const h = harness("prod", START);
    await h.stack.up("initial");
    await assert.rejects(
      new RolloutDriver(h.deps).rollback(),
      /no previous successful update of prod with another release than 1\.4\.0/,
    );
    await assert.rejects(new RolloutDriver(h.deps).rollback(7), /no update 7 in the history of prod/);
  });

  it("a locked stack gives a clear error and changes nothing", async () => {
    const h = harness("prod", START);
    const before = structuredClone(h.stack.config);
    h.stack.locked = true;
    const err: string[] = [];
    const code = await main(
      ["start", "--stack", "prod", "--image", NEW, "--version", "1.5.0", "--no-ssm"],
      { out: () => undefined, err: (s) => err.push(s) },
      async () => h.deps,
    );
    assert.equal(code, 3);
    assert.match(err.join("\n"), /^locked: stack prod is locked by another update/);
    assert.deepEqual(h.stack.config, before, "the config edit was reverted");
    assert.equal(h.ledger.read().length, 0);
    assert.equal(new RolloutDriver(h.deps).readProgress(), undefined, "no rollout left in progress");
  });

  it("preflight refuses outside the window, an already-live image, an expiring certificate and a no-go gate", async () => {
    const late = harness("prod", "2026-11-25T13:00:00Z");
    await assert.rejects(
      release(late),
      /outside the approved release window 2026-11-25T09:00:00Z – 2026-11-25T12:00:00Z/,
    );
    const live = harness("prod", START);
    await assert.rejects(new RolloutDriver(live.deps).start(`${REPO}:sha-1a2b3c4`), /already live on blue/);
    const cert = harness("prod", START);
    cert.deps.certificates = { notAfter: async () => new Date(Date.parse(START) + 5 * 86_400_000) };
    await assert.rejects(release(cert), /expires .* \(5 days\): at least 14 needed/);
    const gate = harness("prod", START);
    gate.deps.gate = async () => ({
      decision: "no-go",
      violations: [{ policy: "edge-weights-sum", enforcement: "mandatory", message: "forward weights sum to 90" }],
    });
    await assert.rejects(
      release(gate),
      /readiness gate says no-go:\n {2}✗ edge-weights-sum: forward weights sum to 90/,
    );
    for (const h of [late, live, cert, gate]) assert.deepEqual(h.stack.ups, [], "a refused start changes nothing");
  });

  it("preflight with the real offline gate and policy pack passes for the prod release", async function () {
    this.timeout(60_000);
    const { runGate } = await import("../../gate/run");
    const h = harness("prod", START);
    h.deps.gate = (config, at) =>
      runGate({
        dir: ROOT,
        stack: "prod",
        at,
        overrides: Object.fromEntries(
          Object.entries(config)
            .filter(([k]) => k.startsWith("app:"))
            .map(([k, e]) => [k.slice(4), e.value]),
        ),
      });
    h.stack.failUp = (c) => (stageOf(c.message) === "pause-worker" ? "stop here" : undefined);
    const out = await release(h);
    assert.equal(out.result, "rolled-back", "preflight passed; the first up then failed on purpose");
  });

  it("each traffic step and the rollback change exactly one resource: the production listener", async () => {
    const h = harness("prod", START);
    let alarmAt = 0;
    h.stack.duringUp = async (call) => {
      if (stageOf(call.message) === "traffic-50") alarmAt = call.at + 1;
    };
    h.alarms.state = (name, at) => (name === GREEN_ALARM && alarmAt && at >= alarmAt ? "ALARM" : "OK");
    await release(h);
    const overrides = (c: StructuredConfig) =>
      Object.fromEntries(
        Object.entries(c)
          .filter(([k]) => k.startsWith("app:"))
          .map(([k, e]) => [k.slice(4), e.value]),
      );
    const planOf = async (c: StructuredConfig) => {
      const r = await planStack({ dir: ROOT, stack: "prod", overrides: overrides(c) });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      return r.plan;
    };
    const configs = h.stack.ups.map((u) => u.config); // pause, deploy, traffic-10, traffic-50, rollback (traffic), rollback (config)
    const plans: Awaited<ReturnType<typeof planOf>>[] = []; // captures run one after another
    for (const c of configs) plans.push(await planOf(c));
    for (const [a, b, what] of [
      [1, 2, "deploy → 10%"],
      [2, 3, "10% → 50%"],
      [3, 4, "50% → rollback"],
    ] as const) {
      const d = diffPlans(plans[a], plans[b]);
      assert.deepEqual(
        [d.added.length, d.removed.length, d.changed.map((c) => c.name)],
        [0, 0, ["traffic-https"]],
        what,
      );
    }
  });

  it("plan prints the stages and changes nothing; status shows weights, images and alarm states", async () => {
    const h = harness("prod", START);
    const d = new RolloutDriver(h.deps);
    const p = await d.plan(NEW, { workerImage: `${REPO.replace("/api", "/worker")}:sha-9f8e7d6` });
    assert.deepEqual(
      p.stages.map((s) => s.id),
      ["pause-worker", "deploy", "traffic-10", "traffic-50", "traffic-100", "flip", "resume-worker", "watch"],
    );
    assert.equal(h.stack.setCalls + h.stack.ups.length, 0);
    h.alarms.state = (n) => (n.includes("green") ? "ALARM" : "OK");
    const s = await d.status();
    assert.deepEqual(s.weights, { blue: 100, green: 0 });
    assert.match(h.logs.join("\n"), /green {3}0% {2}\S+sha-5d6e7f8 {2}artifortress-prod-green-rollback: ALARM/);
  });
});
