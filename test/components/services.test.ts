import * as assert from "node:assert/strict";
import type { CapturedPlan, CapturedResource } from "../../gate/capture";
import { diffPlans } from "../../gate/diff";
import { selects } from "../../policy/lib/network";
import { ofType, one, plan, STACKS, validConfig } from "../support/stacks";

// biome-ignore lint/suspicious/noExplicitAny: captured inputs are untyped JSON
type Inputs = Record<string, any>;

const DEPLOYMENT = "kubernetes:apps/v1:Deployment";
const LISTENER = "aws:lb/listener:Listener";
const TG = "aws:lb/targetGroup:TargetGroup";

function httpsWeights(p: CapturedPlan): Record<string, number> {
  const l = one(p, LISTENER, "traffic-https");
  const groups = (l.inputs as Inputs).defaultActions[0].forward.targetGroups as { arn: string; weight: number }[];
  const out: Record<string, number> = {};
  for (const g of groups) out[colorOfArn(g.arn)] = g.weight;
  return out;
}

function testListenerTarget(p: CapturedPlan): string {
  const arn = (one(p, LISTENER, "edge-test").inputs as Inputs).defaultActions[0].targetGroupArn as string;
  return colorOfArn(arn);
}

/** Target group ARNs end in `targetgroup/<auto-name with the color>/<id>` (e.g. `edge-tg-blue-1a2b3c4`). */
function colorOfArn(arn: string): "blue" | "green" {
  const m = /targetgroup\/[^/]*-(blue|green)-[0-9a-z]+\//.exec(arn);
  if (!m) throw new Error(`not a color target group: ${arn}`);
  return m[1] as "blue" | "green";
}

function directlyDependsOn(a: CapturedResource, b: CapturedResource): boolean {
  return a.dependencies.includes(b.urn);
}

describe("services and blue/green traffic", () => {
  for (const stack of STACKS) {
    describe(`${stack} stack`, () => {
      const cfg = validConfig(stack);

      it("two colors, each with Deployment, Service, TargetGroupBinding and an ip target group on /health/ready", async () => {
        const p = await plan(stack);
        for (const color of ["blue", "green"]) {
          const d = one(p, DEPLOYMENT, `api-${color}-deployment`).inputs as Inputs;
          assert.equal(d.spec.template.spec.containers[0].image, cfg.blueGreen[color as "blue"].image);
          one(p, "kubernetes:core/v1:Service", `api-${color}-service`);
          const tgb = one(p, "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding", `api-${color}-tgb`);
          assert.equal((tgb.inputs as Inputs).spec.targetType, "ip");
          assert.deepEqual(
            tgb.propertyDependencies.spec.filter((u) => u.includes(`tg-${color}`)).length,
            1,
            "bound to its own target group",
          );
          const tg = one(p, TG, `edge-tg-${color}`).inputs as Inputs;
          assert.equal(tg.targetType, "ip");
          // Auto-named: a replacement creates the new group first (a fixed name would be deleted first, which
          // fails while a listener uses it, or collide).
          assert.equal(tg.name, undefined);
          assert.equal(tg.healthCheck.path, cfg.api.healthPaths.ready);
          assert.equal(tg.healthCheck.healthyThreshold, 3);
          assert.equal(tg.healthCheck.unhealthyThreshold, 2);
          assert.equal(tg.deregistrationDelay, cfg.api.deregistrationDelaySeconds);
        }
        assert.equal(ofType(p, DEPLOYMENT).length, 3, "api-blue, api-green, worker");
        assert.equal(ofType(p, "kubernetes:core/v1:Service").length, 2, "the worker has no Service");
      });

      it("egress: Postgres only to the database subnets from the pods that connect, HTTPS only from API and worker", async () => {
        const p = await plan(stack);
        const nps = ofType(p, "kubernetes:networking.k8s.io/v1:NetworkPolicy").map((n) => n.inputs as Inputs);
        const egressTo = (port: number) =>
          nps.flatMap((n) =>
            ((n.spec.egress ?? []) as Inputs[])
              .filter((r) => (r.ports ?? []).some((x: Inputs) => x.port === port))
              .map((r) => ({ selector: n.spec.podSelector, to: r.to })),
          );
        const podLabels = [...ofType(p, DEPLOYMENT), ...ofType(p, "kubernetes:batch/v1:Job")].map((w) => ({
          name: w.name,
          labels: (w.inputs as Inputs).spec.template.metadata.labels,
        }));
        const reach = (port: number) =>
          podLabels
            .filter((w) => egressTo(port).some((r) => selects(r.selector, w.labels)))
            .map((w) => w.name.replace(/-[0-9a-f]{8}$|-1-4-0.*$|-1-5-0.*$/, ""))
            .sort();
        for (const r of [...egressTo(5432), ...egressTo(443)])
          assert.ok(Array.isArray(r.to) && r.to.length > 0, "every egress rule names its destinations");
        const dbCidrs = egressTo(5432).flatMap((r) => r.to.map((t: Inputs) => t.ipBlock.cidr));
        assert.ok(
          dbCidrs.length >= 2 && !dbCidrs.includes("0.0.0.0/0"),
          `Postgres to the database subnets: ${dbCidrs}`,
        );
        const smoke = podLabels.find((w) => w.name.startsWith("smoke-test"))!;
        assert.ok(
          !egressTo(5432).some((r) => selects(r.selector, smoke.labels)),
          "the smoke test never reaches Postgres",
        );
        assert.ok(!egressTo(443).some((r) => selects(r.selector, smoke.labels)), "nor AWS APIs");
        assert.deepEqual(
          reach(443).filter((n) => !n.startsWith("db-users") && !n.startsWith("migration")),
          reach(443),
          "HTTPS: no Job",
        );
        const names = reach(5432).join(" ");
        for (const w of ["api-blue", "api-green", "worker", "db-users", "migration"])
          assert.match(names, new RegExp(w));
      });

      it("every pod spec carries probes, requests + limits and the hardening", async () => {
        const p = await plan(stack);
        const workloads = [...ofType(p, DEPLOYMENT), ...ofType(p, "kubernetes:batch/v1:Job")];
        assert.equal(
          workloads.length,
          8,
          "api-blue, api-green, worker, migration, db-users, integrity baseline and verify, smoke test",
        );
        for (const w of workloads) {
          const pod = (w.inputs as Inputs).spec.template.spec;
          assert.equal(pod.securityContext.runAsNonRoot, true, w.name);
          assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault", w.name);
          for (const c of pod.containers) {
            const sc = c.securityContext;
            assert.equal(sc.runAsNonRoot, true, w.name);
            assert.equal(sc.readOnlyRootFilesystem, true, w.name);
            assert.equal(sc.allowPrivilegeEscalation, false, w.name);
            assert.deepEqual(sc.capabilities.drop, ["ALL"], w.name);
            assert.ok(c.resources.requests.cpu && c.resources.requests.memory, w.name);
            assert.ok(c.resources.limits.cpu && c.resources.limits.memory, w.name);
            assert.match(c.image, /:sha-[0-9a-f]{7,40}$|@sha256:/, w.name);
            if (w.type === DEPLOYMENT) {
              assert.ok(c.livenessProbe?.httpGet, `${w.name} liveness`);
              assert.ok(c.readinessProbe?.httpGet, `${w.name} readiness`);
            }
          }
        }
        const api = (one(p, DEPLOYMENT, "api-blue-deployment").inputs as Inputs).spec;
        const c = api.template.spec.containers[0];
        assert.equal(c.livenessProbe.httpGet.path, "/health/live");
        assert.equal(c.readinessProbe.httpGet.path, "/health/ready");
        assert.equal(api.strategy.rollingUpdate.maxUnavailable, 0);
        assert.ok(
          c.lifecycle.preStop.sleep.seconds > cfg.api.deregistrationDelaySeconds,
          "preStop outlasts deregistration",
        );
        assert.ok(api.template.spec.terminationGracePeriodSeconds > c.lifecycle.preStop.sleep.seconds);
        assert.equal(api.template.spec.topologySpreadConstraints[0].topologyKey, "topology.kubernetes.io/zone");
        const ns = one(p, "kubernetes:core/v1:Namespace", "ns-ns").inputs as Inputs;
        assert.equal(ns.metadata.labels["elbv2.k8s.aws/pod-readiness-gate-inject"], "enabled");
        const pdbs = ofType(p, "kubernetes:policy/v1:PodDisruptionBudget")
          .map((x) => (x.inputs as Inputs).metadata.name)
          .sort();
        assert.deepEqual(pdbs, ["api-blue", "api-green", "worker"]);
        const hpas = ofType(p, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler");
        assert.equal(hpas.length, stack === "prod" ? 2 : 0, "HPA in prod only");
        if (stack === "prod") {
          assert.equal(api.replicas, undefined, "the HPA owns the replica count");
          assert.equal((hpas[0].inputs as Inputs).spec.minReplicas, cfg.api.replicas);
        } else {
          assert.equal(api.replicas, cfg.api.replicas);
        }
      });

      it("deployment order: snapshot → migration → color under test → smoke test → production listener", async () => {
        const p = await plan(stack);
        const snapshot = ofType(p, "aws:rds/snapshot:Snapshot")[0];
        const commit = cfg.release.commit;
        const job = one(p, "kubernetes:batch/v1:Job", `migration-1-4-0-${commit}`);
        // The color under test is the one whose image was built from the release commit.
        const color = cfg.blueGreen.blue.image.endsWith(`sha-${commit}`) ? "blue" : "green";
        const other = color === "blue" ? "green" : "blue";
        const deployment = one(p, DEPLOYMENT, `api-${color}-deployment`);
        const smoke = one(p, "kubernetes:batch/v1:Job", `smoke-test-1-4-0-${commit}`);
        const listener = one(p, LISTENER, "traffic-https");
        assert.ok(directlyDependsOn(job, snapshot), "migration waits for the pre-release snapshot");
        const verify = ofType(p, "kubernetes:batch/v1:Job").find((j) => j.name.startsWith("integrity-verify-"))!;
        assert.ok(directlyDependsOn(verify, job), "the integrity checks run after the migration");
        assert.ok(directlyDependsOn(deployment, verify), "the color under test rolls after the checks");
        // The API port admits the ALB's subnets only (the ALB reaches ip targets from its nodes there).
        const albPolicy = one(p, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "ns-allow-alb-to-api")
          .inputs as Inputs;
        const from = albPolicy.spec.ingress[0].from as { ipBlock: { cidr: string } }[];
        assert.equal(from.length, cfg.network.publicSubnetIds?.length ?? from.length);
        assert.ok(
          from.length > 0 && from.every((f) => /^10\.0\.\d+\.0\/24$/.test(f.ipBlock.cidr)),
          JSON.stringify(from),
        );
        // Readiness gates are injected only into pods created once the Service and TargetGroupBinding exist.
        for (const c of [color, other] as const) {
          const d = one(p, DEPLOYMENT, `api-${c}-deployment`);
          assert.ok(
            directlyDependsOn(d, one(p, "kubernetes:core/v1:Service", `api-${c}-service`)),
            `${c}: Service first`,
          );
          assert.ok(
            directlyDependsOn(d, one(p, "kubernetes:elbv2.k8s.aws/v1beta1:TargetGroupBinding", `api-${c}-tgb`)),
            `${c}: TargetGroupBinding first`,
          );
          assert.equal(
            (d.inputs as Inputs).spec.template.spec.automountServiceAccountToken,
            false,
            `${c}: no API token`,
          );
        }
        assert.ok(directlyDependsOn(smoke, deployment), "the smoke test runs against the rolled-out color");
        assert.ok(directlyDependsOn(listener, smoke), "production weights move only after the smoke test");
        assert.ok(
          !directlyDependsOn(one(p, DEPLOYMENT, `api-${other}-deployment`), job),
          "the other color does not wait for the migration",
        );
        assert.equal(
          ((job.inputs as Inputs).spec.template.spec.containers[0].image as string).endsWith(`sha-${commit}`),
          true,
        );
        assert.equal((job.inputs as Inputs).metadata.name, `migrate-1-4-0-${commit}`);
        assert.equal(testListenerTarget(p), color, "the test listener serves the color the smoke test checks");
        assert.equal((one(p, LISTENER, "traffic-https").inputs as Inputs).tags["rollout/under-test"], color);
        assert.equal(
          (job.inputs as Inputs).spec.ttlSecondsAfterFinished,
          undefined,
          "a self-deleting Job would re-run the migration",
        );
        // The smoke test runs inside the cluster against the Service of the color under test: the only place
        // that can reach it (an internet-facing ALB never sees the private sources its test listener admits).
        const sj = smoke.inputs as Inputs;
        assert.deepEqual(sj.spec.template.spec.containers[0].args.slice(0, 4), [
          "--url",
          `http://api-${color}.artifortress.svc.cluster.local:8080`,
          "--expect-version",
          "1.4.0",
        ]);
        assert.equal(sj.metadata.labels["rollout/color"], color);
        assert.equal(sj.metadata.annotations["pulumi.com/replaceUnready"], "true");
        assert.ok(Number(sj.metadata.annotations["pulumi.com/timeoutSeconds"]) > 300, "outlasts the smoke deadline");
        // The application's checks as SMOKE_CHECKS; the admin token only by reference to the Secret External
        // Secrets keeps in sync with Secrets Manager — never a value in the manifest or the args.
        const env = sj.spec.template.spec.containers[0].env as {
          name: string;
          value?: string;
          valueFrom?: { secretKeyRef: { name: string; key: string } };
        }[];
        const checks = JSON.parse(env.find((e) => e.name === "SMOKE_CHECKS")?.value ?? "{}");
        assert.equal(checks.service, "artifortress-api");
        assert.deepEqual(
          checks.flow.map((f: { name: string }) => f.name),
          ["auth", "repo read", "draft", "publish"],
        );
        const token = env.find((e) => e.name === "SMOKE_ADMIN_TOKEN");
        assert.deepEqual(token, {
          name: "SMOKE_ADMIN_TOKEN",
          valueFrom: { secretKeyRef: { name: "artifortress-app-secrets", key: "Auth__BootstrapToken" } },
        });
        const externalSecrets = p.resources.filter(
          (r) => r.type === "kubernetes:external-secrets.io/v1:ExternalSecret",
        );
        assert.ok(
          externalSecrets.every((es) => smoke.dependencies.includes(es.urn)),
          "the Job starts only once the Secret it reads exists",
        );
      });

      it("worker: tuning as env, no traffic, pausable", async () => {
        const p = await plan(stack);
        const w = (one(p, DEPLOYMENT, "worker-deployment").inputs as Inputs).spec;
        const env = Object.fromEntries(
          (w.template.spec.containers[0].env as { name: string; value: string }[]).map((e) => [e.name, e.value]),
        );
        assert.equal(env.Worker__PollSeconds, String(cfg.worker.pollSeconds));
        assert.equal(env.Worker__BatchSize, String(cfg.worker.batchSize));
        assert.equal(env.Worker__SearchJobMaxAttempts, String(cfg.worker.searchJobMaxAttempts));
        assert.equal(w.replicas, cfg.worker.replicas);
        const paused = await plan(stack, { worker: { paused: true } });
        assert.equal((one(paused, DEPLOYMENT, "worker-deployment").inputs as Inputs).spec.replicas, 0);
      });

      // One stack is enough: the rule is the program's, not a per-environment default.
      if (stack === "prod")
        it("worker: waits for the migration only when it runs an image built from the release commit", async () => {
          const job = (q: CapturedPlan) =>
            ofType(q, "kubernetes:batch/v1:Job").find((j) => j.name.startsWith("migration-"));
          const waits = (q: CapturedPlan) => {
            const j = job(q);
            // After the migration, through its integrity checks (which depend on the migration Job).
            const verify = ofType(q, "kubernetes:batch/v1:Job").find((x) => x.name.startsWith("integrity-verify-"));
            const after = verify ?? j;
            return after !== undefined && directlyDependsOn(one(q, DEPLOYMENT, "worker-deployment"), after);
          };
          const releaseCommit = cfg.release.commit;
          const built = cfg.worker.image.replace(/sha-[0-9a-f]+$/, `sha-${releaseCommit}`);
          assert.equal(
            waits(await plan(stack, { worker: { image: built } })),
            true,
            "new worker code waits for the new schema",
          );
          assert.equal(
            waits(await plan(stack, { worker: { image: built, paused: true } })),
            false,
            "a paused worker waits for nothing",
          );
          const other = cfg.worker.image.replace(/sha-[0-9a-f]+$/, "sha-0000000");
          assert.equal(
            waits(await plan(stack, { worker: { image: other } })),
            false,
            "a worker keeping an older image does not",
          );
        });

      it("edge: TLS listeners with the modern policy, HTTP only redirects, test listener restricted", async () => {
        const p = await plan(stack);
        for (const name of ["traffic-https", "edge-test"]) {
          const l = one(p, LISTENER, name).inputs as Inputs;
          assert.equal(l.protocol, "HTTPS");
          assert.equal(l.certificateArn, cfg.tls.certificateArn);
          assert.equal(l.sslPolicy, "ELBSecurityPolicy-TLS13-1-2-2021-06");
        }
        const http = one(p, LISTENER, "edge-http").inputs as Inputs;
        assert.deepEqual(
          http.defaultActions.map((a: Inputs) => a.type),
          ["redirect"],
        );
        assert.equal(http.defaultActions[0].redirect.protocol, "HTTPS");
        const rules = ofType(p, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule").filter(
          (r) => r.inputs.fromPort === cfg.tls.testListenerPort,
        );
        assert.deepEqual(
          rules.map((r) => r.inputs.cidrIpv4),
          cfg.tls.testListenerCidrs,
        );
        const alb = one(p, "aws:lb/loadBalancer:LoadBalancer", "edge-alb");
        assert.equal(alb.inputs.dropInvalidHeaderFields, true);
        assert.equal(alb.inputs.enableDeletionProtection, stack === "prod");
        assert.equal((alb.inputs as Inputs).accessLogs.enabled, true);
      });
    });
  }

  const configs: { live: "blue" | "green"; canaryWeight: number }[] = [
    { live: "blue", canaryWeight: 0 },
    { live: "blue", canaryWeight: 10 },
    { live: "green", canaryWeight: 50 },
    { live: "green", canaryWeight: 100 },
    { live: "blue", canaryWeight: 100 },
  ];
  for (const c of configs) {
    it(`weights follow live=${c.live} canaryWeight=${c.canaryWeight}, sum to 100, and the test listener follows the release, not live`, async () => {
      const p = await plan("staging", { blueGreen: c });
      const w = httpsWeights(p);
      const idle = c.live === "blue" ? "green" : "blue";
      assert.equal(w[c.live], 100 - c.canaryWeight);
      assert.equal(w[idle], c.canaryWeight);
      assert.equal(w.blue + w.green, 100);
      // staging releases commit 5d6e7f8, the green image, whichever color is live
      assert.equal(testListenerTarget(p), "green", "the test listener serves the color under test");
      assert.deepEqual(one(p, LISTENER, "traffic-https").inputs.tags, {
        "rollout/role": "production",
        "rollout/live": c.live,
        "rollout/under-test": "green",
        // The color of each forward entry, in the forward's order (policies match weights to colors at preview).
        "rollout/forward-order": "blue,green",
      });
    });
  }

  it("changing only canaryWeight changes only the production HTTPS listener", async () => {
    const d = diffPlans(await plan("prod"), await plan("prod", { blueGreen: { canaryWeight: 10 } }));
    assert.deepEqual(d.added, []);
    assert.deepEqual(d.removed, []);
    assert.deepEqual(
      d.changed.map((c) => [c.name, c.paths]),
      [
        [
          "traffic-https",
          ["defaultActions[0].forward.targetGroups[0].weight", "defaultActions[0].forward.targetGroups[1].weight"],
        ],
      ],
    );
  });

  it("flipping live (and switching it back, a rollback) touches only the production listener", async () => {
    const before = await plan("staging", { blueGreen: { canaryWeight: 50 } });
    const flipped = await plan("staging", { blueGreen: { live: "green", canaryWeight: 0 } });
    for (const d of [diffPlans(before, flipped), diffPlans(flipped, before)]) {
      assert.deepEqual(d.added, []);
      assert.deepEqual(d.removed, []);
      assert.deepEqual(
        d.changed.map((c) => c.name),
        ["traffic-https"],
        "the test listener stays on the color under test and no smoke test re-runs",
      );
    }
  });
});

describe("physical names (components/names.ts physicalName)", () => {
  it("fit the limit, keep the role, and never truncate two different names to the same one", async () => {
    const { physicalName } = await import("../../components/names");
    assert.equal(physicalName(["artifortress-prod", "blue"], 32), "artifortress-prod-blue");
    const long = "artifortress-platform-staging-eu-central-1";
    const blue = physicalName([long, "blue"], 32);
    const green = physicalName([long, "green"], 32);
    assert.ok(blue.length <= 32 && green.length <= 32, `${blue} ${green}`);
    assert.notEqual(blue, green);
    assert.match(blue, /-blue$/);
    assert.notEqual(physicalName([`${long}-a`], 32), physicalName([`${long}-b`], 32));
    // A last part longer than the limit on its own (found by review: 79 characters for a 63 limit).
    const huge = ["integrity", "baseline", "1-4-0-rc-20261125-build-0123456789abcdef0123456789abcdef012345-1a2b3c4"];
    const name = physicalName(huge, 63);
    assert.ok(name.length <= 63, `${name} (${name.length})`);
    assert.notEqual(name, physicalName([...huge.slice(0, 2), `${huge[2]}x`], 63));
  });
});
