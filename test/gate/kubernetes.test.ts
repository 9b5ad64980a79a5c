import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { main } from "../../gate/cli";
import { Evaluator } from "../../gate/evaluator";
import { checkKubernetes, kubernetesObjects } from "../../gate/kubernetes/check-plan";
import { compareVersions } from "../../gate/kubernetes/requirements";
import { kubernetesSchemas, resolverFor, vendoredMinors } from "../../gate/kubernetes/schemas";
import { validateObject } from "../../gate/kubernetes/validate";
import { loadProgram } from "../../gate/plan";
import { renderText } from "../../gate/report";
import { runGate } from "../../gate/run";
import { INSIDE_WINDOW } from "../support/policy";
import { capture } from "../support/project";
import { plan, ROOT, validConfig } from "../support/stacks";
import { sharedEvaluator } from "../support/twin";

const CONTAINER = "io.k8s.api.core.v1.Container";

function containerErrors(minor: string, container: Record<string, unknown>): string[] {
  const k = kubernetesSchemas(minor);
  assert.ok(k, `Kubernetes ${minor} is vendored`);
  return validateObject(k.definitions[CONTAINER], container, resolverFor(k), { rootName: CONTAINER }).map(
    (e) => `${e.path}: ${e.message}`,
  );
}

describe("Kubernetes validation in the gate", function () {
  this.timeout(120_000);

  it("prod: every Kubernetes object and custom resource of the plan is validated, none invalid (--format json)", async () => {
    const c = capture();
    const code = await main(["--stack", "prod", "--dir", ROOT, "--at", INSIDE_WINDOW.prod, "--format", "json"], c.io, {
      evaluator: sharedEvaluator(),
    });
    const report = JSON.parse(c.out.join("\n"));
    assert.equal(code, 0, c.out.join("\n"));
    const p = await plan("prod");
    const k8s = p.resources.filter(
      (r) => r.custom && r.type.startsWith("kubernetes:") && !r.type.includes("providers"),
    );
    const custom = k8s.filter((r) => /^kubernetes:[a-z0-9-]+\.[a-z0-9.-]+\//.test(r.type));
    assert.ok(custom.length >= 5, "TargetGroupBindings, ExternalSecrets and the SecretStore are in the plan");
    assert.ok(report.kubernetes.validated >= k8s.length, `${report.kubernetes.validated} ≥ ${k8s.length}`);
    assert.deepEqual(report.kubernetes.invalid, []);
    assert.equal(report.kubernetes.version, "1.34");
  });

  it("no-go with the field path: an unknown field and a wrong enum in a TargetGroupBinding and a Deployment", async () => {
    const real = loadProgram(ROOT);
    const program = () => {
      pulumi.runtime.registerStackTransformation((a) => {
        if (a.name === "api-blue-tgb") {
          const spec = { ...a.props.spec, targetType: "pod", healthCheckPath: "/health" };
          return { props: { ...a.props, spec }, opts: a.opts };
        }
        if (a.name === "worker-deployment") {
          const strategy = { ...a.props.spec.strategy, type: "Rolling" };
          const spec = { ...a.props.spec, strategy, paused: false, minReadySecond: 5 };
          return { props: { ...a.props, spec }, opts: a.opts };
        }
        return undefined;
      });
      return real();
    };
    const evaluator = new Evaluator({ dir: ROOT, program });
    try {
      const r = await runGate({ dir: ROOT, stack: "staging", at: "window", evaluator });
      assert.equal(r.decision, "no-go");
      const blocking = r.violations.filter((v) => v.enforcement === "mandatory");
      assert.deepEqual(blocking, [], "no policy blocks: only the schema check says no-go");
      const found = (r.kubernetes?.invalid ?? []).map((i) => `${i.kind} ${i.name} ${i.path}: ${i.message}`).sort();
      assert.deepEqual(found, [
        'Deployment worker-deployment spec.minReadySecond: unknown field "spec.minReadySecond"',
        'Deployment worker-deployment spec.strategy.type: Unsupported value: "Rolling": supported values: "Recreate", "RollingUpdate"',
        'TargetGroupBinding api-blue-tgb spec.healthCheckPath: unknown field "spec.healthCheckPath"',
        'TargetGroupBinding api-blue-tgb spec.targetType: Unsupported value: "pod": supported values: "instance", "ip"',
      ]);
    } finally {
      evaluator.close();
    }
  });

  it("validates against the cluster's minor version: a field added in 1.33 is unknown on 1.32", () => {
    const c = { name: "api", image: "x", lifecycle: { stopSignal: "SIGTERM", preStop: { sleep: { seconds: 5 } } } };
    assert.deepEqual(containerErrors("1.32", c), ['lifecycle.stopSignal: unknown field "lifecycle.stopSignal"']);
    assert.deepEqual(containerErrors("1.34", c), []);
  });

  it("types like the API server: int-or-string ports, numeric quantities, required fields, secrets not judged", () => {
    const ok = {
      name: "api",
      ports: [{ containerPort: 8080, protocol: "TCP" }],
      readinessProbe: { httpGet: { path: "/", port: "http" } },
      resources: { requests: { cpu: 0.5, memory: "1Gi" } },
      env: [{ name: "TOKEN", value: "[secret]" }],
    };
    assert.deepEqual(containerErrors("1.34", ok), []);
    assert.deepEqual(
      containerErrors("1.34", {
        ports: [{ containerPort: "8080", protocol: "HTTP" }],
        readinessProbe: { httpGet: { path: "/", port: true } },
      }),
      [
        "name: Required value",
        'ports[0].containerPort: Invalid value: "8080": must be of type integer, got string',
        'ports[0].protocol: Unsupported value: "HTTP": supported values: "TCP", "UDP", "SCTP"',
        "readinessProbe.httpGet.port: Invalid value: true: must be of type integer or string, got boolean",
      ],
    );
  });

  it("a custom resource's metadata is validated as ObjectMeta, and a kind nobody vendored is invalid", async () => {
    const p = await plan("staging");
    const versions = validConfig("staging").cluster;
    const resources = structuredClone(p.resources);
    const store = resources.find((r) => r.type === "kubernetes:external-secrets.io/v1:SecretStore");
    assert.ok(store);
    (store.inputs.metadata as Record<string, unknown>).label = { a: "b" };
    const unknownKind = { ...structuredClone(store), name: "x", type: "kubernetes:example.com/v1:Widget", inputs: {} };
    const k = checkKubernetes([...resources, unknownKind], versions);
    assert.deepEqual(
      k.invalid.map((i) => `${i.name} ${i.path}: ${i.message}`),
      [
        'secrets-store metadata.label: unknown field "metadata.label"',
        "x : no schema for example.com/v1 Widget: not a built-in kind of Kubernetes 1.34 and no vendored CRD (schemas/vendor/kubernetes/sources.json)",
      ],
    );
    assert.equal(k.validated, kubernetesObjects(resources).length + 1);
  });

  it("names and labels as the API server checks them: a Job name over 63 characters, a bad label value", async () => {
    const p = await plan("staging");
    const versions = validConfig("staging").cluster;
    const resources = structuredClone(p.resources);
    const job = resources.find((r) => r.type === "kubernetes:batch/v1:Job" && r.name.startsWith("migration-"))!;
    const meta = job.inputs.metadata as { name: string; labels: Record<string, string> };
    meta.name = `migrate-${"x".repeat(60)}`;
    meta.labels["rollout/release-id"] = `${"y".repeat(64)}`;
    const k = checkKubernetes(resources, versions);
    assert.deepEqual(
      k.invalid.map((i) => `${i.name} ${i.path}`),
      [`${job.name} metadata.name`, `${job.name} metadata.labels.rollout/release-id`],
    );
    assert.match(
      k.invalid[0].message,
      /must be no more than 63 characters \(a Job's name is its batch.kubernetes.io\/job-name label\)/,
    );
    assert.match(k.invalid[1].message, /a label value must be at most 63 characters/);
  });

  describe("minimum versions of the cluster and add-ons (stack config)", () => {
    it("Kubernetes 1.29: no vendored schema, and preStop sleep needs 1.30 — no-go with the config fix", async () => {
      const r = await runGate({
        dir: ROOT,
        stack: "prod",
        at: "window",
        evaluator: sharedEvaluator(),
        overrides: { cluster: { ...validConfig("prod").cluster, kubernetesVersion: "1.29" } },
      });
      assert.equal(r.decision, "no-go");
      assert.match(r.kubernetes?.invalid[0].message ?? "", /no vendored schema for Kubernetes 1\.29.*vendored: 1\.32/);
      const unmet = r.kubernetes?.requirements.filter((q) => !q.ok) ?? [];
      assert.deepEqual(
        unmet.map((q) => `${q.configKey} ${q.configured} < ${q.minimum}: ${q.neededBy.join(",")}`),
        ["app:cluster.kubernetesVersion 1.29 < 1.30: api-blue-deployment,api-green-deployment"],
      );
    });

    it("an add-on older than the vendored CRDs the gate validates with is no-go (fields it may not know)", async () => {
      const cluster = validConfig("prod").cluster;
      const r = await runGate({
        dir: ROOT,
        stack: "prod",
        at: "window",
        evaluator: sharedEvaluator(),
        overrides: { cluster: { ...cluster, addons: { ...cluster.addons, externalSecrets: "0.19.0" } } },
      });
      assert.equal(r.decision, "no-go");
      const unmet = r.kubernetes?.requirements.filter((q) => !q.ok) ?? [];
      assert.deepEqual(
        unmet.map((q) => `${q.configKey} ${q.configured} < ${q.minimum}: ${q.feature}`),
        [
          "app:cluster.addons.externalSecrets 0.19.0 < 2.9.0: the ExternalSecret schema the gate validates with",
          "app:cluster.addons.externalSecrets 0.19.0 < 2.9.0: the SecretStore schema the gate validates with",
        ],
      );
      assert.match(unmet[0].source, /tools\/vendor-k8s-schemas.ts/);
    });

    it("ESO 0.15 cannot serve external-secrets.io/v1; the Prometheus objects need app:cluster.addons.prometheusOperator", async () => {
      const cluster = { ...validConfig("staging").cluster };
      const r = await runGate({
        dir: ROOT,
        stack: "staging",
        at: "window",
        evaluator: sharedEvaluator(),
        overrides: {
          cluster: { ...cluster, addons: { ...cluster.addons, externalSecrets: "0.15.0" } },
          alarms: { ...validConfig("staging").alarms, prometheusRule: true },
        },
      });
      const text = renderText(r, false);
      assert.equal(r.decision, "no-go", text);
      assert.match(
        text,
        /kubernetes-version {2}secrets-\S+\n {4}external-secrets.io\/v1 ExternalSecret and SecretStore \(.*\) needs externalSecrets ≥ 0\.16\.0 .*app:cluster\.addons\.externalSecrets is 0\.15\.0\. Fix: pulumi config set --path 'app:cluster\.addons\.externalSecrets' <installed version ≥ 0\.16\.0> --stack staging/,
      );
      assert.match(text, /needs prometheusOperator ≥ 0\.31\.0 .*app:cluster\.addons\.prometheusOperator is not set/);
      // Plus the vendored-CRD floors: ESO 0.15.0 < 2.9.0 (ExternalSecret, SecretStore), Prometheus Operator unset
      // (PodMonitor, PrometheusRule).
      assert.match(text, /^NO-GO: 0 mandatory, 0 advisory violation\(s\), 6 Kubernetes finding\(s\)/m);
    });

    it("compares versions numerically", () => {
      assert.ok(compareVersions("2.17.1", "2.9.0") > 0);
      assert.ok(compareVersions("v0.16.0", "0.16") === 0);
      assert.ok(compareVersions("1.9", "1.30") < 0);
      assert.deepEqual(vendoredMinors(), ["1.32", "1.33", "1.34", "1.35"]);
    });
  });
});
