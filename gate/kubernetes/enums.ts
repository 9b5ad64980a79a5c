/**
 * Enum values of built-in kinds. The OpenAPI v2 document the gate validates built-ins against carries
 * no `enum` keyword; the API server rejects these values in its Go validation with "Unsupported value"
 * (k8s.io/kubernetes pkg/apis/core/validation/validation.go `supportedPullPolicies`,
 * `supportedRestartPolicies`, `supportedPortProtocols`, `supportedServiceType`, …;
 * pkg/apis/apps/validation/validation.go `ValidateDeploymentStrategy`;
 * pkg/apis/networking/validation/validation.go policy types). The values are the `+enum` types of
 * k8s.io/api (core/v1/types.go, apps/v1/types.go, batch/v1/types.go, networking/v1/types.go,
 * policy/v1/types.go, autoscaling/v2/types.go), which the OpenAPI v3 documents list as `enum`. Keyed by definition and property
 * (`[]` marks the items of a list).
 */
const PROTOCOLS = ["TCP", "UDP", "SCTP"];
const PROFILE_TYPES = ["Localhost", "RuntimeDefault", "Unconfined"];
const CORE = "io.k8s.api.core.v1";

const ENUMS: Record<string, string[]> = {
  "io.k8s.api.apps.v1.DeploymentStrategy.type": ["Recreate", "RollingUpdate"],
  "io.k8s.api.autoscaling.v2.HPAScalingPolicy.type": ["Pods", "Percent"],
  "io.k8s.api.autoscaling.v2.HPAScalingRules.selectPolicy": ["Max", "Min", "Disabled"],
  "io.k8s.api.autoscaling.v2.MetricSpec.type": ["ContainerResource", "External", "Object", "Pods", "Resource"],
  "io.k8s.api.autoscaling.v2.MetricTarget.type": ["AverageValue", "Utilization", "Value"],
  "io.k8s.api.batch.v1.JobSpec.completionMode": ["NonIndexed", "Indexed"],
  "io.k8s.api.batch.v1.JobSpec.podReplacementPolicy": ["TerminatingOrFailed", "Failed"],
  "io.k8s.api.networking.v1.NetworkPolicyPort.protocol": PROTOCOLS,
  "io.k8s.api.networking.v1.NetworkPolicySpec.policyTypes[]": ["Ingress", "Egress"],
  "io.k8s.api.policy.v1.PodDisruptionBudgetSpec.unhealthyPodEvictionPolicy": ["IfHealthyBudget", "AlwaysAllow"],
  "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement.operator": ["In", "NotIn", "Exists", "DoesNotExist"],
  [`${CORE}.AppArmorProfile.type`]: PROFILE_TYPES,
  [`${CORE}.Container.imagePullPolicy`]: ["Always", "Never", "IfNotPresent"],
  [`${CORE}.Container.restartPolicy`]: ["Always"],
  [`${CORE}.Container.terminationMessagePolicy`]: ["File", "FallbackToLogsOnError"],
  [`${CORE}.ContainerPort.protocol`]: PROTOCOLS,
  [`${CORE}.HTTPGetAction.scheme`]: ["HTTP", "HTTPS"],
  [`${CORE}.NodeSelectorRequirement.operator`]: ["In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"],
  [`${CORE}.PodSecurityContext.fsGroupChangePolicy`]: ["OnRootMismatch", "Always"],
  [`${CORE}.PodSpec.dnsPolicy`]: ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"],
  [`${CORE}.PodSpec.preemptionPolicy`]: ["PreemptLowerPriority", "Never"],
  [`${CORE}.PodSpec.restartPolicy`]: ["Always", "OnFailure", "Never"],
  [`${CORE}.SeccompProfile.type`]: PROFILE_TYPES,
  [`${CORE}.SecurityContext.procMount`]: ["Default", "Unmasked"],
  [`${CORE}.ServicePort.protocol`]: PROTOCOLS,
  [`${CORE}.ServiceSpec.externalTrafficPolicy`]: ["Cluster", "Local"],
  [`${CORE}.ServiceSpec.internalTrafficPolicy`]: ["Cluster", "Local"],
  [`${CORE}.ServiceSpec.ipFamilies[]`]: ["IPv4", "IPv6"],
  [`${CORE}.ServiceSpec.ipFamilyPolicy`]: ["SingleStack", "PreferDualStack", "RequireDualStack"],
  [`${CORE}.ServiceSpec.sessionAffinity`]: ["ClientIP", "None"],
  [`${CORE}.ServiceSpec.type`]: ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"],
  [`${CORE}.Toleration.effect`]: ["NoSchedule", "PreferNoSchedule", "NoExecute"],
  [`${CORE}.Toleration.operator`]: ["Exists", "Equal"],
  [`${CORE}.TopologySpreadConstraint.nodeAffinityPolicy`]: ["Honor", "Ignore"],
  [`${CORE}.TopologySpreadConstraint.nodeTaintsPolicy`]: ["Honor", "Ignore"],
  [`${CORE}.TopologySpreadConstraint.whenUnsatisfiable`]: ["DoNotSchedule", "ScheduleAnyway"],
};

/** The supported values of a built-in enum property, or undefined when it is not an enum. */
export function builtinEnum(definition: string, property: string): string[] | undefined {
  return ENUMS[`${definition}.${property}`];
}
