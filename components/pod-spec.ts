/**
 * Hardened pod and container settings shared by the API colors, the worker and the migration Job, so the
 * readiness checklist's pod rules (non-root, read-only root fs, no privilege escalation, drop ALL,
 * seccomp RuntimeDefault, requests + limits) are written once.
 */
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
