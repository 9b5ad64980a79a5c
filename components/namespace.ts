// @readiness hardened-pods least-privilege: PSS restricted namespace, NetworkPolicies, IRSA service accounts
import { LABEL } from "@app-rollout/shared";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { Component } from "./component";

export interface WorkloadServiceAccount {
  /** Service account name, e.g. `api`. */
  name: string;
  /** IAM role the pods of this account assume (IRSA). @default none */
  roleArn?: pulumi.Input<string>;
}

export interface AppNamespaceArgs {
  /** Namespace name. */
  name: string;
  /** Kubernetes provider of the target cluster. */
  provider: k8s.Provider;
  /** Port the API pods listen on (the only ingress allowed, from the ALB). */
  apiPort: number;
  /**
   * CIDRs of the load balancer's subnets: the ALB reaches `ip` targets from its nodes' addresses there, so
   * only they may open the API port. @default none: the API port admits nobody from outside the namespace
   */
  albSourceCidrs?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * CIDRs of the database's subnets: the only destinations of Postgres (5432) egress, and only from the pods
   * that connect (API, worker, migration, db-users). @default none: no pod may reach Postgres
   */
  databaseCidrs?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Destinations of HTTPS egress (AWS APIs: S3, STS for IRSA, CloudWatch) for the API and worker pods only.
   * AWS service addresses are not a stable, narrow list: narrow it to your VPC endpoints' subnets if the
   * cluster reaches AWS through interface endpoints. @default ["0.0.0.0/0"]
   */
  httpsEgressCidrs?: pulumi.Input<pulumi.Input<string>[]>;
  /** Port of the worker's health endpoint (kubelet probes only). */
  workerPort: number;
  /** Service accounts to create. @default none */
  serviceAccounts?: WorkloadServiceAccount[];
  /** Pod label that marks API pods. @default { [LABEL.component]: "api" } */
  apiSelector?: Record<string, string>;
}

/** Labels every pod of the app carries. */
export const APP_LABEL = { [LABEL.partOf]: "artifortress" };

/**
 * The app's namespace: labelled so the AWS Load Balancer Controller injects pod readiness gates (a pod
 * gets traffic only once its target is healthy in the target group), a default-deny NetworkPolicy for
 * ingress and egress, the allows the app needs (ALB → API port; DNS; Postgres to the database subnets from the pods that connect;
 * HTTPS to AWS APIs from the API and worker), and the
 * workloads' service accounts annotated for IRSA.
 */
export class AppNamespace extends Component {
  public static readonly type = "app:k8s:AppNamespace";
  public readonly namespace: k8s.core.v1.Namespace;
  public readonly name: pulumi.Output<string>;
  public readonly serviceAccounts: Record<string, k8s.core.v1.ServiceAccount> = {};

  constructor(name: string, args: AppNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
    super(AppNamespace.type, name, { ...opts, providers: { kubernetes: args.provider } });
    const a = normalizeArgs(args);
    const child = { parent: this, provider: a.provider };
    this.namespace = this.createNamespace(name, a, child);
    const ns = this.namespace.metadata.name;
    const inNs = { ...child, dependsOn: [this.namespace] };
    this.createDefaultDeny(name, ns, inNs);
    this.createAlbToApi(name, a, ns, inNs);
    this.createSmokeToApi(name, a, ns, inNs);
    this.createEgress(name, a, ns, inNs);
    this.createServiceAccounts(name, a, ns, inNs);

    this.name = ns;
    this.registerOutputs({ name: this.name, serviceAccounts: Object.keys(this.serviceAccounts) });
  }

  private createNamespace(name: string, a: NormalizedArgs, child: ChildOptions): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(
      `${name}-ns`,
      {
        metadata: {
          name: a.name,
          labels: {
            ...APP_LABEL,
            [LABEL.readinessGateInject]: "enabled",
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
          },
        },
      },
      child,
    );
  }

  private createDefaultDeny(name: string, ns: pulumi.Output<string>, inNs: InNamespaceOptions): void {
    new k8s.networking.v1.NetworkPolicy(
      `${name}-default-deny`,
      {
        metadata: { name: "default-deny", namespace: ns },
        spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
      },
      inNs,
    );
  }

  private createAlbToApi(name: string, a: NormalizedArgs, ns: pulumi.Output<string>, inNs: InNamespaceOptions): void {
    new k8s.networking.v1.NetworkPolicy(
      `${name}-allow-alb-to-api`,
      {
        metadata: { name: "allow-alb-to-api", namespace: ns },
        spec: {
          podSelector: { matchLabels: a.apiSelector },
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: pulumi
                .output(a.albSourceCidrs ?? [])
                .apply((cidrs) => cidrs.map((cidr) => ({ ipBlock: { cidr } }))),
              ports: [{ protocol: "TCP", port: a.apiPort }],
            },
          ],
        },
      },
      inNs,
    );
  }

  private createSmokeToApi(name: string, a: NormalizedArgs, ns: pulumi.Output<string>, inNs: InNamespaceOptions): void {
    // The in-cluster smoke test (components/smoke-test.ts) reaches the API pods directly.
    const smokeSelector = { [LABEL.component]: "smoke" };
    new k8s.networking.v1.NetworkPolicy(
      `${name}-allow-smoke-to-api`,
      {
        metadata: { name: "allow-smoke-to-api", namespace: ns },
        spec: {
          podSelector: { matchLabels: a.apiSelector },
          policyTypes: ["Ingress"],
          ingress: [
            {
              from: [{ podSelector: { matchLabels: smokeSelector } }],
              ports: [{ protocol: "TCP", port: a.apiPort }],
            },
          ],
        },
      },
      inNs,
    );
    new k8s.networking.v1.NetworkPolicy(
      `${name}-allow-smoke-egress`,
      {
        metadata: { name: "allow-smoke-egress-to-api", namespace: ns },
        spec: {
          podSelector: { matchLabels: smokeSelector },
          policyTypes: ["Egress"],
          egress: [
            { to: [{ podSelector: { matchLabels: a.apiSelector } }], ports: [{ protocol: "TCP", port: a.apiPort }] },
          ],
        },
      },
      inNs,
    );
  }

  private createEgress(name: string, a: NormalizedArgs, ns: pulumi.Output<string>, inNs: InNamespaceOptions): void {
    new k8s.networking.v1.NetworkPolicy(
      `${name}-allow-egress`,
      {
        metadata: { name: "allow-egress-dns", namespace: ns },
        spec: {
          podSelector: {},
          policyTypes: ["Egress"],
          egress: [
            {
              to: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } } }],
              ports: [
                { protocol: "UDP", port: 53 },
                { protocol: "TCP", port: 53 },
              ],
            },
          ],
        },
      },
      inNs,
    );
    const toCidrs = (cidrs: pulumi.Input<pulumi.Input<string>[]>) =>
      pulumi.output(cidrs).apply((list) => list.map((cidr) => ({ ipBlock: { cidr } })));
    const components = (values: string[]) => ({
      matchExpressions: [{ key: LABEL.component, operator: "In", values }],
    });
    new k8s.networking.v1.NetworkPolicy(
      `${name}-allow-postgres-egress`,
      {
        metadata: { name: "allow-postgres-egress", namespace: ns },
        spec: {
          podSelector: components(["api", "worker", "migration", "db-users", "integrity-checks"]),
          policyTypes: ["Egress"],
          egress: [{ to: toCidrs(a.databaseCidrs ?? []), ports: [{ protocol: "TCP", port: 5432 }] }],
        },
      },
      inNs,
    );
    new k8s.networking.v1.NetworkPolicy(
      `${name}-allow-https-egress`,
      {
        metadata: { name: "allow-https-egress", namespace: ns },
        spec: {
          podSelector: components(["api", "worker"]),
          policyTypes: ["Egress"],
          egress: [{ to: toCidrs(a.httpsEgressCidrs ?? ["0.0.0.0/0"]), ports: [{ protocol: "TCP", port: 443 }] }],
        },
      },
      inNs,
    );
  }

  /** The workloads' service accounts, annotated for IRSA, into `this.serviceAccounts`. */
  private createServiceAccounts(
    name: string,
    a: NormalizedArgs,
    ns: pulumi.Output<string>,
    inNs: InNamespaceOptions,
  ): void {
    for (const sa of a.serviceAccounts ?? []) {
      this.serviceAccounts[sa.name] = new k8s.core.v1.ServiceAccount(
        `${name}-sa-${sa.name}`,
        {
          metadata: {
            name: sa.name,
            namespace: ns,
            labels: APP_LABEL,
            annotations: sa.roleArn ? { "eks.amazonaws.com/role-arn": sa.roleArn } : {},
          },
          automountServiceAccountToken: false,
        },
        inNs,
      );
    }
  }
}

interface ChildOptions {
  parent: pulumi.Resource;
  provider: k8s.Provider;
}

type InNamespaceOptions = ChildOptions & { dependsOn: pulumi.Resource[] };

type NormalizedArgs = AppNamespaceArgs & { apiSelector: Record<string, string> };

function normalizeArgs(args: AppNamespaceArgs): NormalizedArgs {
  return { ...args, apiSelector: args.apiSelector ?? { [LABEL.component]: "api" } };
}
