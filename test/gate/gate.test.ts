import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { main } from "../../gate/cli";
import { keyEdges } from "../../gate/graph";
import { readPlanFile } from "../../gate/plan-file";
import { runGate } from "../../gate/run";
import { allPolicies } from "../../policy/policies";
import { evaluate, INSIDE_WINDOW, sharedPack, without } from "../support/policy";
import { capture, projectCopy } from "../support/project";
import { plan, ROOT } from "../support/stacks";
import { sharedEvaluator } from "../support/twin";

describe("offline readiness gate", function () {
  this.timeout(120_000);

  for (const stack of ["staging", "prod"] as const) {
    it(`go (exit 0) on the committed ${stack} stack inside its release window`, async () => {
      const c = capture();
      const code = await main(["--stack", stack, "--dir", ROOT, "--at", INSIDE_WINDOW[stack]], c.io);
      const text = c.out.join("\n");
      assert.equal(code, 0, text + c.err.join("\n"));
      assert.match(
        text,
        new RegExp(`^GO: 0 mandatory, 0 advisory violation\\(s\\) — \\d+ resources, stack '${stack}'`, "m"),
      );
      assert.match(
        text,
        new RegExp(`${allPolicies.length} policies \\(app-readiness@1\\.0\\.0, policy/config/\\w+\\.json\\)`),
      );
    });
  }

  it("no-go (exit 1) outside the release window, with policy, enforcement and message", async () => {
    const c = capture();
    const code = await main(["--stack", "prod", "--dir", ROOT, "--at", "2026-11-26T08:00:00Z", "--no-color"], c.io, {
      evaluator: sharedEvaluator(),
    });
    assert.equal(code, 1);
    const text = c.out.join("\n");
    assert.match(
      text,
      /✗ mandatory high {5}release-window {2}\(stack\)\n {4}2026-11-26T08:00:00\.000Z is after the release window/,
    );
    assert.match(text, /^NO-GO: 1 mandatory, 0 advisory/m);
  });

  it("no-go on a mutated stack: a mandatory violation names the resource (type + name)", async () => {
    const r = await runGate({
      dir: ROOT,
      stack: "prod",
      evaluator: sharedEvaluator(),
      at: new Date(INSIDE_WINDOW.prod),
      // The schema accepts only what the pack allows (policy/lib/tls.ts): narrow the pack's list instead.
      policyOverrides: { "edge-https-listener": { allowedSslPolicies: ["ELBSecurityPolicy-TLS13-1-3-2021-06"] } },
    });
    assert.equal(r.decision, "no-go");
    const v = r.violations.filter((x) => x.policy === "edge-https-listener");
    assert.deepEqual(v.map((x) => `${x.resourceType} ${x.resourceName} ${x.enforcement}`).sort(), [
      "aws:lb/listener:Listener edge-test mandatory",
      "aws:lb/listener:Listener traffic-https mandatory",
    ]);
    assert.match(
      v[0].message,
      /sslPolicy ELBSecurityPolicy-TLS13-1-2-2021-06 is not one of ELBSecurityPolicy-TLS13-1-3-2021-06/,
    );
  });

  it("every step of the restore cutover (docs/restore.md) is go in prod; a cut-over stack still judges its primary", async () => {
    const restore = { name: "incident-42", restoreTime: "2026-11-24T09:55:00Z" };
    const steps = [
      { restore },
      { restore: { ...restore, cutover: true } },
      { restore: { ...restore, cutover: true, original: "retire" } },
      { restore: { ...restore, cutover: true, original: "forget" } },
    ];
    for (const database of steps) {
      const r = await runGate({
        dir: ROOT,
        stack: "prod",
        evaluator: sharedEvaluator(),
        at: new Date(INSIDE_WINDOW.prod),
        overrides: { database },
      });
      assert.deepEqual(
        r.violations.map((v) => `${v.policy}: ${v.message}`),
        [],
        JSON.stringify(database),
      );
    }
    // The primary is judged: after the cutover, a primary without its DR replication is no-go.
    const cut = await plan("prod", { database: { restore: { ...restore, cutover: true } } });
    const a = await evaluate(
      await sharedPack("prod"),
      without(cut, (x) => x.name === "db-backup-replication"),
    );
    assert.deepEqual(
      a.diagnostics
        .filter((d) => d.policyName === "data-cross-region-pitr")
        .map((d) => /database \S+ has no cross-region automated backups replication/.exec(d.message)?.[0]),
      ["database artifortress-prod-incident-42 has no cross-region automated backups replication"],
    );
  });

  it("a prod config laxer than the runbook's rollback triggers is no-go, naming the trigger (5 %, 3 s)", async () => {
    for (const [alarms, trigger] of [
      [{ errorRatePercent: 5 }, /laxer than the runbook 004 rollback trigger: error rate > 1 % for 5 min/],
      [{ p95LatencySeconds: 3 }, /laxer than the runbook 004 rollback trigger: p95 latency > 1 s/],
    ] as const) {
      const r = await runGate({
        dir: ROOT,
        stack: "prod",
        evaluator: sharedEvaluator(),
        at: new Date(INSIDE_WINDOW.prod),
        overrides: { alarms },
      });
      assert.equal(r.decision, "no-go");
      const v = r.violations.filter((x) => x.policy === "observability-rollback-triggers");
      assert.equal(v.length, 2, "both colors' alarms");
      assert.match(v[0].message, trigger);
      assert.equal(v[0].enforcement, "mandatory");
    }
  });

  it("a prod certificate ARN in another region than the load balancer is no-go before any up, naming the runbook item", async () => {
    const r = await runGate({
      dir: ROOT,
      stack: "prod",
      evaluator: sharedEvaluator(),
      at: new Date(INSIDE_WINDOW.prod),
      overrides: {
        tls: { certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/0b3c1d2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e" },
      },
    });
    assert.equal(r.decision, "no-go");
    assert.ok(
      r.violations.some(
        (v) =>
          v.policy === "edge-certificate-region" &&
          v.enforcement === "mandatory" &&
          /is in us-east-1, the load balancer in eu-central-1.*Readiness: TLS everywhere, cert valid; runbook 004:10/.test(
            v.message,
          ),
      ),
      JSON.stringify(r.violations.map((v) => v.policy)),
    );
  });

  it("a prod config whose alerting reaches nobody is no-go, naming the runbook item", async () => {
    const r = await runGate({
      dir: ROOT,
      stack: "prod",
      evaluator: sharedEvaluator(),
      at: new Date(INSIDE_WINDOW.prod),
      overrides: { alarms: { notificationEmails: [], notificationHttpsEndpoints: [] } },
    });
    assert.equal(r.decision, "no-go", JSON.stringify(r.problems));
    assert.deepEqual(
      r.violations.map((v) => `${v.policy} ${v.enforcement}: ${v.message}`),
      [
        "observability-alerts-reach-someone mandatory: topic artifortress-prod-alerts receives the alarms but has no subscription: every alarm would reach nobody. Readiness: Alarms for error rate, p95, unhealthy hosts, DB, backlog, each with an action; runbook 004:22, 001:121-125, 002:98.",
      ],
    );
  });

  it("staging advisory violations do not stop the gate (exit 0, listed with '!')", async () => {
    const r = await runGate({
      dir: ROOT,
      stack: "staging",
      at: new Date("2026-12-01T00:00:00Z"),
      evaluator: sharedEvaluator(),
    });
    assert.equal(r.decision, "go");
    assert.deepEqual(
      r.violations.map((v) => `${v.policy}:${v.enforcement}`),
      ["release-window:advisory"],
    );
  });

  it("exit 2 with a readable message on a broken config and on a bad --at", async () => {
    const dir = projectCopy();
    const file = path.join(dir, "Pulumi.prod.yaml");
    writeFileSync(file, readFileSync(file, "utf8").replace("live: blue", "live: purple"));
    const c = capture();
    assert.equal(await main(["--stack", "prod", "--dir", dir], c.io), 2);
    assert.match(c.err.join("\n"), /app:blueGreen\.live: expected one of "blue", "green"; found "purple"/);
    assert.match(c.err.join("\n"), /INVALID CONFIG: 1 problem\(s\)/);
    const bad = capture();
    assert.equal(await main(["--stack", "prod", "--at", "tomorrow"], bad.io), 2);
    assert.match(bad.err.join("\n"), /--at must be an ISO-8601 time/);
  });

  it("JSON and Markdown outputs parse and carry the decision, violations and deployment graph", async () => {
    const j = capture();
    assert.equal(
      await main(["--stack", "prod", "--dir", ROOT, "--at", "2026-11-26T08:00:00Z", "--format", "json"], j.io, {
        evaluator: sharedEvaluator(),
      }),
      1,
    );
    const report = JSON.parse(j.out.join("\n"));
    assert.equal(report.decision, "no-go");
    assert.equal(report.summary.mandatory, 1);
    assert.equal(report.violations[0].policy, "release-window");
    assert.ok(report.resourceCount > 100);
    const m = capture();
    assert.equal(
      await main(["--stack", "staging", "--dir", ROOT, "--at", INSIDE_WINDOW.staging, "--format", "markdown"], m.io, {
        evaluator: sharedEvaluator(),
      }),
      0,
    );
    const md = m.out.join("\n");
    assert.match(md, /^## Readiness gate: `staging` — ✅ GO$/m);
    const mermaid = /```mermaid\n([\s\S]*?)\n```/.exec(md)?.[1] ?? "";
    assert.match(mermaid, /^graph LR$/m);
    for (const edge of [
      "release_snapshot_1_4_0_5d6e7f8 --> integrity_baseline_1_4_0_5d6e7f8",
      "integrity_baseline_1_4_0_5d6e7f8 --> migration_1_4_0_5d6e7f8",
      "migration_1_4_0_5d6e7f8 --> integrity_verify_1_4_0_5d6e7f8",
      "integrity_verify_1_4_0_5d6e7f8 --> api_green_deployment",
      "api_green_deployment --> smoke_test_1_4_0_5d6e7f8",
      "smoke_test_1_4_0_5d6e7f8 --> traffic_https",
    ])
      assert.ok(mermaid.includes(edge), `missing edge ${edge} in\n${mermaid}`);
  });

  it("--plan-out writes a preview-like plan that reads back to the same plan", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "plan-")), "plan.json");
    const r = await runGate({ dir: ROOT, stack: "prod", at: "window", evaluator: sharedEvaluator() });
    assert.ok(r.plan);
    const c = capture();
    assert.equal(
      await main(["--stack", "prod", "--dir", ROOT, "--at", "window", "--plan-out", file], c.io, {
        evaluator: sharedEvaluator(),
      }),
      0,
    );
    const json = JSON.parse(readFileSync(file, "utf8"));
    assert.equal(json.format, "app-rollout-plan/v1");
    assert.equal(json.steps[0].op, "create");
    assert.equal(json.changeSummary.create, r.plan.resources.length);
    const json2 = (v: unknown) => JSON.parse(JSON.stringify(v));
    assert.deepEqual(
      json2(readPlanFile(file)),
      json2(r.plan),
      "the plan read back equals the captured plan (and two captures are identical)",
    );
    assert.ok(keyEdges(readPlanFile(file)).length >= 5, "dependency edges survive the round trip");
  });

  it("--compare lists exactly the resources a canaryWeight edit touches (against a file and a git ref)", async () => {
    const dir = projectCopy();
    const before = path.join(dir, "before.yaml");
    const file = path.join(dir, "Pulumi.staging.yaml");
    writeFileSync(before, readFileSync(file, "utf8"));
    writeFileSync(file, readFileSync(file, "utf8").replace("canaryWeight: 10", "canaryWeight: 50"));
    const c = capture();
    assert.equal(await main(["--stack", "staging", "--dir", dir, "--compare", before, "--format", "json"], c.io), 0);
    const d = JSON.parse(c.out.join("\n"));
    assert.deepEqual(d.added, []);
    assert.deepEqual(d.removed, []);
    assert.deepEqual(
      d.changed.map((x: { name: string }) => x.name),
      ["traffic-https"],
    );
    assert.match(d.summary, /0 to add, 0 to remove, 1 to change/);

    const git = (...a: string[]) => execFileSync("git", ["-C", dir, ...a], { stdio: "pipe" });
    git("init", "-q");
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "empty");
    writeFileSync(file, readFileSync(before, "utf8"));
    git("add", "Pulumi.staging.yaml");
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "base");
    writeFileSync(file, readFileSync(before, "utf8").replace("canaryWeight: 10", "canaryWeight: 0"));
    const g = capture();
    assert.equal(await main(["--stack", "staging", "--dir", dir, "--compare", "HEAD"], g.io), 0);
    assert.match(
      g.out.join("\n"),
      /~ aws:lb\/listener:Listener traffic-https: defaultActions\[0\]\.forward\.targetGroups\[0\]\.weight, defaultActions\[0\]\.forward\.targetGroups\[1\]\.weight\n\n0 to add, 0 to remove, 1 to change/,
    );
    const bad = capture();
    assert.equal(await main(["--stack", "staging", "--dir", dir, "--compare", "no-such-ref"], bad.io), 2);
    assert.match(bad.err.join("\n"), /--compare no-such-ref: neither a file nor a git ref/);
  });

  it("--parity passes for the committed stacks and flags a feature enabled in prod only", async () => {
    const ok = capture();
    assert.equal(await main(["--parity", "staging", "prod", "--dir", ROOT], ok.io), 0, ok.out.join("\n"));
    assert.match(
      ok.out.join("\n"),
      /0 unexpected difference\(s\) between staging and prod \(\d+ allowed by parity\.json\)/,
    );
    const dir = projectCopy();
    const file = path.join(dir, "Pulumi.prod.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8").replace("  app:alarms:\n", "  app:alarms:\n    prometheusRule: true\n"),
    );
    const c = capture();
    assert.equal(await main(["--parity", "staging", "prod", "--dir", dir], c.io), 1);
    const text = c.out.join("\n");
    assert.match(text, /✗ only in prod: kubernetes:monitoring\.coreos\.com\/v1:PrometheusRule slo-rules-rule/);
    assert.match(text, /✗ only in prod: app:observability:PrometheusSloRules slo-rules/);
  });
});
