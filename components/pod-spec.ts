/**
 * Hardened pod and container settings shared by the API colors, the worker and the migration Job, so the
 * readiness checklist's pod rules (non-root, read-only root fs, no privilege escalation, drop ALL,
 * seccomp RuntimeDefault, requests + limits) are written once.
 */
// @readiness hardened-pods: non-root, read-only root fs, no privilege escalation, drop ALL, resources
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";

type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;

export interface ResourceSizes {
  /** CPU request; the limit is twice the request. */
  cpu: string;
  /** Memory request and limit. */
  memory: string;
}

/** `250m` → `500m`, `1` → `2`. */
export function doubleCpu(cpu: string): string {
  return cpu.endsWith("m") ? `${Number.parseInt(cpu, 10) * 2}m` : String(Number.parseFloat(cpu) * 2);
}

export const NON_ROOT_UID = 10001;

export function hardenedContainer(c: Container & { resources?: never }, sizes: ResourceSizes): Container {
  return {
    imagePullPolicy: "IfNotPresent",
    ...c,
    resources: {
      requests: { cpu: sizes.cpu, memory: sizes.memory },
      limits: { cpu: doubleCpu(sizes.cpu), memory: sizes.memory },
    },
    securityContext: {
      runAsNonRoot: true,
      runAsUser: NON_ROOT_UID,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts: [
      { name: "tmp", mountPath: "/tmp" },
      ...((c.volumeMounts as pulumi.Input<k8s.types.input.core.v1.VolumeMount>[] | undefined) ?? []),
    ],
  };
}

/**
 * No Kubernetes API token in the pods (the app never calls the API). IRSA does not need it: the EKS pod
 * identity webhook projects its own `aws-iam-token` volume for service accounts annotated with a role
 * (amazon-eks-pod-identity-webhook README), independent of the API token automount.
 */
export function hardenedPodSpec(spec: PodSpec): PodSpec {
  return {
    automountServiceAccountToken: false,
    ...spec,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: NON_ROOT_UID,
      runAsGroup: NON_ROOT_UID,
      fsGroup: NON_ROOT_UID,
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumes: [
      { name: "tmp", emptyDir: { sizeLimit: "256Mi" } },
      ...((spec.volumes as pulumi.Input<k8s.types.input.core.v1.Volume>[] | undefined) ?? []),
    ],
  };
}

/** Where the pods find the RDS CA bundle (the connection string's `Root Certificate`). */
export const RDS_CA_DIR = "/rds-ca";
export const RDS_CA_FILE = `${RDS_CA_DIR}/global-bundle.pem`;

/**
 * The RDS CA bundle for certificate verification (`SSL Mode=VerifyFull`): an init container of the runner
 * image (runner/Dockerfile bakes the bundle AWS publishes) copies it into an emptyDir every container
 * mounts read-only. Without it, `SSL Mode=Require` encrypts but trusts any server certificate.
 */
export function withRdsCaBundle(spec: PodSpec, runnerImage: string): PodSpec {
  const mount = { name: "rds-ca", mountPath: RDS_CA_DIR, readOnly: true };
  const copy = hardenedContainer(
    {
      name: "rds-ca",
      image: runnerImage,
      command: ["cp", "/etc/rds-ca/global-bundle.pem", RDS_CA_FILE],
      volumeMounts: [{ name: "rds-ca", mountPath: RDS_CA_DIR }],
    },
    { cpu: "50m", memory: "32Mi" },
  );
  const containers = (spec.containers as Container[]).map((c) => ({
    ...c,
    volumeMounts: [
      ...((c.volumeMounts as pulumi.Input<k8s.types.input.core.v1.VolumeMount>[] | undefined) ?? []),
      mount,
    ],
  }));
  return {
    ...spec,
    initContainers: [...((spec.initContainers as Container[] | undefined) ?? []), copy],
    containers,
    volumes: [
      ...((spec.volumes as pulumi.Input<k8s.types.input.core.v1.Volume>[] | undefined) ?? []),
      { name: "rds-ca", emptyDir: { sizeLimit: "16Mi" } },
    ],
  };
}

/** `withRdsCaBundle` when a runner image is given, else the spec unchanged. */
export function caBundle(spec: PodSpec, runnerImage: string | undefined): PodSpec {
  return runnerImage ? withRdsCaBundle(spec, runnerImage) : spec;
}
