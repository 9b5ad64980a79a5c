/**
 * Minimum versions of the cluster and of the add-ons that the objects of a plan need. Each requirement
 * names the feature, where the minimum comes from, and the stack config key that declares what is
 * installed (`app:cluster.kubernetesVersion`, `app:cluster.addons.*`); the gate compares the two.
 */
import type { ClusterVersions } from "../../config/schema";

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  /** The object as the plan sends it. */
  body: Record<string, unknown>;
}

export type Component = "kubernetes" | keyof ClusterVersions["addons"];

export interface Requirement {
  component: Component;
  minimum: string;
  feature: string;
  source: string;
  needs(o: KubernetesObject): boolean;
}

function podSpecOf(o: KubernetesObject): Record<string, unknown> | undefined {
  const spec = o.body.spec as Record<string, unknown> | undefined;
  const template = spec?.template as { spec?: Record<string, unknown> } | undefined;
  return template?.spec;
}

function usesSleepAction(o: KubernetesObject): boolean {
  const pod = podSpecOf(o);
  const containers = [...((pod?.containers as unknown[]) ?? []), ...((pod?.initContainers as unknown[]) ?? [])];
  return containers.some((c) => {
    const lifecycle = (c as { lifecycle?: Record<string, { sleep?: unknown }> }).lifecycle ?? {};
    return Object.values(lifecycle).some((h) => h?.sleep !== undefined);
  });
}

export const REQUIREMENTS: Requirement[] = [
  {
    component: "kubernetes",
    minimum: "1.30",
    feature: "container lifecycle `sleep` action (preStop)",
    source: "KEP-3960 PodLifecycleSleepAction: beta and on by default from Kubernetes 1.30",
    needs: usesSleepAction,
  },
  {
    component: "awsLoadBalancerController",
    minimum: "2.0.0",
    feature: "TargetGroupBinding elbv2.k8s.aws/v1beta1 with spec.networking",
    source: "aws-load-balancer-controller v2.0.0 config/crd/bases/elbv2.k8s.aws_targetgroupbindings.yaml",
    needs: (o) => o.kind === "TargetGroupBinding",
  },
  {
    component: "externalSecrets",
    minimum: "0.16.0",
    feature: "external-secrets.io/v1 ExternalSecret and SecretStore",
    source:
      "external-secrets v0.16.0 config/crds/bases/external-secrets.io_externalsecrets.yaml (first tag serving v1)",
    needs: (o) => o.apiVersion === "external-secrets.io/v1",
  },
  {
    component: "prometheusOperator",
    minimum: "0.31.0",
    feature: "monitoring.coreos.com/v1 PodMonitor and PrometheusRule",
    source: "prometheus-operator CHANGELOG 0.31.0: Add PodMonitor",
    needs: (o) => o.apiVersion === "monitoring.coreos.com/v1",
  },
];

/** Compares dotted numeric versions (`1.34`, `2.17.1`, `v0.16.0`); a missing part counts as 0. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^v/, "").split(/[.-]/).map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const d = (x[i] || 0) - (y[i] || 0);
    if (d !== 0) return d;
  }
  return 0;
}

export interface RequirementResult {
  component: Component;
  configKey: string;
  configured?: string;
  minimum: string;
  feature: string;
  source: string;
  /** Objects of the plan that need it (up to 3 names). */
  neededBy: string[];
  ok: boolean;
}

export function configKeyOf(c: Component): string {
  return c === "kubernetes" ? "app:cluster.kubernetesVersion" : `app:cluster.addons.${c}`;
}

/** The requirements the plan's objects have, each compared with the configured version. */
export function checkRequirements(
  objects: (KubernetesObject & { name: string })[],
  versions: ClusterVersions,
  extra: Requirement[] = [],
): RequirementResult[] {
  return [...REQUIREMENTS, ...extra].flatMap((r) => {
    const neededBy = objects.filter((o) => r.needs(o)).map((o) => o.name);
    if (neededBy.length === 0) return [];
    const configured = r.component === "kubernetes" ? versions.kubernetesVersion : versions.addons[r.component];
    return [
      {
        component: r.component,
        configKey: configKeyOf(r.component),
        configured,
        minimum: r.minimum,
        feature: r.feature,
        source: r.source,
        neededBy: neededBy.slice(0, 3),
        ok: configured !== undefined && compareVersions(configured, r.minimum) >= 0,
      },
    ];
  });
}
