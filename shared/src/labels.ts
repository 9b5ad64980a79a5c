/**
 * The labels and tags the program writes and the policy pack and the driver read. One list: a policy that
 * looks for a tag the components spell differently would silently judge nothing.
 */

/** The two API colors of the blue/green release. */
export const COLORS = ["blue", "green"] as const;
export type Color = (typeof COLORS)[number];

export function isColor(v: unknown): v is Color {
  return v === "blue" || v === "green";
}

export function otherColor(c: Color): Color {
  return c === "blue" ? "green" : "blue";
}

/** Kubernetes labels (pods, Jobs, Deployments). */
export const LABEL = {
  component: "app.kubernetes.io/component",
  name: "app.kubernetes.io/name",
  partOf: "app.kubernetes.io/part-of",
  color: "rollout/color",
  releaseId: "rollout/release-id",
  commit: "rollout/commit",
  phase: "rollout/phase",
  scaledDown: "rollout/scaled-down",
  credentialGeneration: "rollout/credential-generation",
  /**
   * Namespace label of the AWS Load Balancer Controller: pods of a Service behind a TargetGroupBinding get
   * a readiness gate (docs: deploy/pod_readiness_gate), so a rolling update waits until the ALB sees them healthy.
   */
  readinessGateInject: "elbv2.k8s.aws/pod-readiness-gate-inject",
} as const;

/** Values of `app.kubernetes.io/component`. */
export const COMPONENT = {
  api: "api",
  worker: "worker",
  smoke: "smoke",
  migration: "migration",
  integrityChecks: "integrity-checks",
  dbUsers: "db-users",
} as const;

/** AWS tags. */
export const TAG = {
  color: "rollout/color",
  /** `production` (the listener that carries users) or `test` (the idle color's listener). */
  role: "rollout/role",
  live: "rollout/live",
  underTest: "rollout/under-test",
  /** Comma-separated colors in the order of the production listener's forward target groups. */
  forwardOrder: "rollout/forward-order",
  releaseId: "rollout/release-id",
  commit: "rollout/commit",
  /** `failed` on the snapshot of a release whose migration failed. */
  migration: "rollout/migration",
  /** `primary`, `restored` or `superseded` (components/database.ts). */
  dbRole: "rollout/db-role",
  restore: "rollout/restore",
  restoreState: "rollout/restore-state",
  drDrill: "rollout/dr-drill",
} as const;

export const LISTENER_ROLE = { production: "production", test: "test" } as const;
