/**
 * The stack configuration schema: the single source of truth for what `Pulumi.<stack>.yaml` may contain.
 *
 * The TypeScript types (`AppConfig`), the JSON Schema for editor completion of the stack files
 * (`schemas/stack-config.schema.json`) and the configuration reference (`docs/configuration.md`) are all
 * derived from this file (`npm run gen`). Defaults live in `config/defaults.ts`, applied before validation,
 * so every field here is required after defaults: components never deal with `undefined` for a defaulted value.
 *
 * Keys are top-level Pulumi config keys in the project namespace (`app:<key>`). Secrets are separate
 * top-level keys (`.meta({ secret: true })`) so they can be set with `pulumi config set --secret`.
 */

import {
  DEFAULT_DEREGISTRATION_DELAY_SECONDS,
  DEFAULT_HEALTH_PATHS,
  DEFAULT_SSL_POLICIES,
  IMMUTABLE_IMAGE_HINT,
  parseImmutableImage,
  sameCommit,
  thresholdNumber,
} from "@app-rollout/shared";
import { z } from "zod";
import { readinessIssues } from "./readiness-rules";
import { gatingWindowMinutes, SIGNALS } from "./signals";

/** Documents a field: the description and an example used by docs and by the `pulumi config set` fix hint. */
function doc<T extends z.ZodType>(schema: T, description: string, example?: unknown, extra: { secret?: true } = {}): T {
  return schema.meta(
    example === undefined ? { description, ...extra } : { description, examples: [example], ...extra },
  );
}

/** `migrate-<slug>-<commit7>` and the label value `<slug>-<commit7>` stay within Kubernetes' 63 characters. */
export const RELEASE_VERSION_MAX = 32;
/** Runbook 003's replication cadence (readiness item dr-replication): the lowest RPO a drill can achieve. */
const RPO_FLOOR = thresholdNumber("dr-replication", "rpoMinutes", "prod");

/** Runbook 004's rollback triggers (readiness item rollback-triggers): the alarms' defaults. */
const TRIGGER = {
  errorRate: thresholdNumber("rollback-triggers", "maxErrorRatePercent", "prod"),
  p95: thresholdNumber("rollback-triggers", "maxP95Seconds", "prod"),
  minutes: thresholdNumber("rollback-triggers", "maxWindowMinutes", "prod"),
};

const hex = (len: string) => new RegExp(`^[0-9a-f]{${len}}$`);
const isoInstant = z.iso.datetime({
  offset: true,
  error: "expected an ISO-8601 time with zone, e.g. 2026-11-24T09:00:00Z",
});
const nonEmpty = z.string().trim().min(1, "expected a non-empty string");
const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/, "expected an IPv4 CIDR such as 10.0.0.0/8");
const subnetId = z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "expected a subnet id such as subnet-0a1b2c3d4e5f60718");
const cpu = z.string().regex(/^(\d+m|\d+(\.\d+)?)$/, "expected a Kubernetes CPU quantity such as 250m or 1");
const memory = z.string().regex(/^\d+(Mi|Gi)$/, "expected a Kubernetes memory quantity such as 512Mi or 2Gi");
const port = z.number().int().min(1).max(65535);
const httpPath = z.string().regex(/^\/[A-Za-z0-9/_.-]*$/, "expected an absolute HTTP path such as /health/ready");
const acmArn = z
  .string()
  .regex(/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/, "expected an ACM certificate ARN");
const awsRegion = z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "expected an AWS region such as eu-central-1");

/**
 * Whether an IPv4 CIDR lies in a range an internet-facing load balancer never sees as a source: RFC 1918
 * private, RFC 6598 shared (carrier NAT), loopback, link-local, "this network" (RFC 6890 special-purpose).
 */
export function isNonPublic(c: string): boolean {
  const [a, b] = c.split(".").map(Number);
  return (
    a === 10 ||
    a === 0 ||
    a === 127 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254)
  );
}

export const colorSchema = z.enum(["blue", "green"]);
export type Color = z.infer<typeof colorSchema>;

export const imageSchema = z
  .string()
  .refine((ref) => parseImmutableImage(ref) !== undefined, { error: `expected ${IMMUTABLE_IMAGE_HINT}` });

const resources = z.strictObject({
  cpu: doc(cpu, "CPU request (the limit is twice the request).", "500m"),
  memory: doc(memory, "Memory request and limit (equal, so the pod is never OOM-killed for over-commit).", "1Gi"),
});

export const networkSchema = z.strictObject({
  platformStack: doc(
    nonEmpty.optional(),
    "Fully-qualified stack reference `org/project/stack` of the platform stack exporting vpcId, privateSubnetIds, publicSubnetIds and clusterSecurityGroupId. Use this or the explicit ids below.",
    "acme/platform/prod",
  ),
  vpcId: doc(
    z
      .string()
      .regex(/^vpc-[0-9a-f]{8,17}$/, "expected a VPC id such as vpc-0a1b2c3d")
      .optional(),
    "VPC id.",
    "vpc-0a1b2c3d4e5f60718",
  ),
  privateSubnetIds: doc(
    z.array(subnetId).min(2, "expected at least 2 private subnets (two AZs)").optional(),
    "Private subnets (database, pods), at least two AZs.",
    ["subnet-0a1b2c3d4e5f60718", "subnet-0b1c2d3e4f5a60718"],
  ),
  publicSubnetIds: doc(
    z.array(subnetId).min(2, "expected at least 2 public subnets (two AZs)").optional(),
    "Public subnets for the ALB, at least two AZs.",
    ["subnet-0c1d2e3f4a5b60718", "subnet-0d1e2f3a4b5c60718"],
  ),
  clusterSecurityGroupId: doc(
    z
      .string()
      .regex(/^sg-[0-9a-f]{8,17}$/, "expected a security group id such as sg-0a1b2c3d")
      .optional(),
    "Security group of the EKS nodes/pods; the only source allowed to reach the database.",
    "sg-0a1b2c3d4e5f60718",
  ),
});

const installedVersion = z.string().regex(/^v?\d+\.\d+\.\d+$/, "expected the installed release version such as 2.17.1");

/** What is installed in the cluster: the gate checks the program's minimums against it (docs/gate.md). */
export const addonsSchema = z.strictObject({
  awsLoadBalancerController: doc(
    installedVersion,
    "Installed AWS Load Balancer Controller release (TargetGroupBinding CRD, pod readiness gates).",
    "2.17.1",
  ),
  externalSecrets: doc(
    installedVersion,
    "Installed External Secrets Operator release. The gate validates against the vendored CRDs (schemas/vendor/kubernetes/sources.json, v2.9.0): keep them the version you run (tools/vendor-k8s-schemas.ts).",
    "2.9.0",
  ),
  prometheusOperator: doc(
    installedVersion.optional(),
    "Installed Prometheus Operator release; needed when `app:alarms.prometheus` is enabled.",
    "0.93.0",
  ),
});

export const clusterSchema = z.strictObject({
  name: doc(nonEmpty, "EKS cluster name (for dashboards and IRSA).", "platform-prod"),
  kubernetesVersion: doc(
    z.string().regex(/^1\.\d{1,2}$/, "expected a Kubernetes minor version such as 1.34"),
    "Kubernetes minor version of the cluster: the gate validates every object against this version's schema and checks the program's minimum.",
    "1.34",
  ),
  addons: addonsSchema,
  namespace: doc(
    z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "expected a DNS-1123 label"),
    "Kubernetes namespace created for the app.",
    "artifortress",
  ),
  oidcProviderArn: doc(
    z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/.+$/, "expected an IAM OIDC provider ARN"),
    "IAM OIDC provider of the cluster (IRSA trust).",
    "arn:aws:iam::123456789012:oidc-provider/oidc.eks.eu-central-1.amazonaws.com/id/ABCDEF0123456789",
  ),
  oidcIssuer: doc(
    z.string().regex(/^[a-z0-9.-]+\/id\/[A-Za-z0-9]+$/, "expected the issuer host/path without https://"),
    "OIDC issuer of the cluster without `https://` (IRSA condition keys).",
    "oidc.eks.eu-central-1.amazonaws.com/id/ABCDEF0123456789",
  ),
});

export const tlsSchema = z.strictObject({
  certificateArn: doc(
    acmArn,
    "ACM certificate for the HTTPS and test listeners.",
    "arn:aws:acm:eu-central-1:123456789012:certificate/0b3c1d2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e",
  ),
  hostname: doc(
    z.string().regex(/^([a-z0-9-]+\.)+[a-z]{2,}$/, "expected a DNS hostname"),
    "Public hostname served by the ALB.",
    "api.example.com",
  ),
  sslPolicy: doc(
    z.enum(DEFAULT_SSL_POLICIES, {
      error: `expected one of the TLS policies the readiness checklist allows: ${DEFAULT_SSL_POLICIES.join(", ")}`,
    }),
    "ALB TLS policy (the list edge-https-listener allows, policy/lib/tls.ts).",
    "ELBSecurityPolicy-TLS13-1-2-2021-06",
  ),
  testListenerPort: doc(port, "Port of the restricted test listener that always forwards to the idle color.", 8443),
  testListenerCidrs: doc(
    z
      .array(
        cidr.refine((c) => !isNonPublic(c), {
          error:
            "expected a public CIDR (the egress addresses of your VPN or office): the ALB is internet-facing, so it only ever sees public source addresses and a private range admits nobody",
        }),
      )
      .min(1, "expected at least one CIDR: the test listener must be restricted"),
    "Public CIDRs allowed to reach the test listener on the internet-facing ALB, for people checking the idle color by hand (the egress addresses of your VPN or office). The release's smoke test does not use it: it runs in the cluster against the color's Service.",
    ["203.0.113.0/24"],
  ),
});

export const apiSchema = z.strictObject({
  imageRepository: doc(
    z.string().regex(/^[a-z0-9.:/_-]+$/, "expected an image repository without tag"),
    "Repository of the API image; each color's image must be in it.",
    "123456789012.dkr.ecr.eu-central-1.amazonaws.com/artifortress/api",
  ),
  replicas: doc(z.number().int().min(1).max(100), "Replicas of the live color (and of a color under test).", 3),
  idleReplicas: doc(
    z.number().int().min(0).max(100),
    "Replicas of the idle color when it takes no traffic (0 scales it down after a release).",
    1,
  ),
  resources,
  port: doc(port, "Container port of the HTTP server.", 8080),
  healthPaths: z.strictObject({
    live: doc(httpPath, "Liveness endpoint.", DEFAULT_HEALTH_PATHS.live),
    ready: doc(httpPath, "Readiness endpoint; also the target group health check.", DEFAULT_HEALTH_PATHS.ready),
    version: doc(httpPath, "Version endpoint checked by the smoke test.", DEFAULT_HEALTH_PATHS.version),
  }),
  deregistrationDelaySeconds: doc(
    z.number().int().min(0).max(3600),
    "Target group deregistration delay; the preStop delay is longer.",
    DEFAULT_DEREGISTRATION_DELAY_SECONDS,
  ),
  migrationArgs: doc(
    z.array(nonEmpty).min(1),
    "Container args that make the API image apply database migrations and exit (the migration Job).",
    ["migrate"],
  ),
  autoscaling: z.strictObject({
    enabled: doc(z.boolean(), "HorizontalPodAutoscaler per color (min = api.replicas).", true),
    maxReplicas: doc(z.number().int().min(1).max(500), "HPA maximum replicas per color.", 12),
    targetCpuPercent: doc(z.number().int().min(10).max(100), "HPA target average CPU utilisation.", 70),
  }),
});

export const workerSchema = z.strictObject({
  image: doc(
    imageSchema,
    "Worker image (immutable).",
    "123456789012.dkr.ecr.eu-central-1.amazonaws.com/artifortress/worker:sha-1a2b3c4",
  ),
  replicas: doc(z.number().int().min(0).max(100), "Worker replicas.", 2),
  paused: doc(
    z.boolean(),
    "Scale the worker to 0 (runbook 004: scale down background workers during migrations).",
    false,
  ),
  resources,
  pollSeconds: doc(z.number().int().min(1).max(3600), "Worker__PollSeconds.", 5),
  batchSize: doc(z.number().int().min(1).max(10000), "Worker__BatchSize.", 50),
  searchJobMaxAttempts: doc(z.number().int().min(1).max(100), "Worker__SearchJobMaxAttempts.", 5),
  metricsPort: doc(port, "Port of the worker's /health/live endpoint.", 9090),
});

export const blueGreenSchema = z.strictObject({
  live: doc(colorSchema, "Color that serves production traffic.", "blue"),
  blue: z.strictObject({
    image: doc(
      imageSchema,
      "Image deployed to the blue color.",
      "123456789012.dkr.ecr.eu-central-1.amazonaws.com/artifortress/api:sha-1a2b3c4",
    ),
  }),
  green: z.strictObject({
    image: doc(
      imageSchema,
      "Image deployed to the green color.",
      "123456789012.dkr.ecr.eu-central-1.amazonaws.com/artifortress/api:sha-5d6e7f8",
    ),
  }),
  canaryWeight: doc(
    z.number().int().min(0, "expected a percentage from 0 to 100").max(100, "expected a percentage from 0 to 100"),
    "Percent of traffic sent to the idle color (0 = none).",
    10,
  ),
  scaleDownIdle: doc(
    z.boolean(),
    "Scale the idle color to api.idleReplicas once a release is done (the idle color then takes no canary traffic).",
    false,
  ),
});

export const releaseSchema = z.strictObject({
  version: doc(
    z
      .string()
      .regex(/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, "expected a semantic version such as 1.4.0")
      .max(
        RELEASE_VERSION_MAX,
        `expected at most ${RELEASE_VERSION_MAX} characters: the version names Kubernetes Jobs and the label rollout/release-id, whose values the API server caps at 63 characters`,
      ),
    "Release version (names the pre-release snapshot and migration Job).",
    "1.4.0",
  ),
  commit: doc(
    z.string().regex(hex("7,40"), "expected a git commit sha (7-40 lowercase hex)"),
    "Commit the release was built from; CI was green on it.",
    "5d6e7f8",
  ),
  attempt: doc(
    z
      .string()
      .regex(/^[a-z0-9]{1,16}$/, "expected 1-16 lowercase letters or digits")
      .optional(),
    "Set by the rollout driver per release attempt (its run id): suffixes the pre-release snapshot identifier, so releasing the same version and build again takes a new snapshot instead of colliding with the retained one. Not set by hand.",
  ),
  migrationFailed: doc(
    z.boolean().optional(),
    "Set by the rollout driver when the release's migration failed and the release was rolled back: the migration Job is removed (no later up re-awaits or re-runs it); the next release migrates again. Not set by hand.",
  ),
  window: z.strictObject({
    start: doc(isoInstant, "Approved release window start.", "2026-11-24T09:00:00Z"),
    end: doc(isoInstant, "Approved release window end.", "2026-11-24T12:00:00Z"),
  }),
  approver: doc(nonEmpty, "Who approved the release window.", "jane.doe"),
  onCall: doc(nonEmpty, "On-call engineer during the release.", "sam.lee"),
  rollbackOwner: doc(nonEmpty, "Engineer who owns the rollback decision.", "alex.kim"),
});

/** One data integrity check (dbchecks/checks.ts): runbook 004 "verify data integrity", "run validation queries". */
const integrityCheckSchema = z.strictObject({
  name: doc(
    z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, "expected a short lowercase name such as orphan-artifacts"),
    "Name of the check (in the Job's report and the error that fails the up).",
    "invalid-indexes",
  ),
  query: doc(
    z
      .string()
      .trim()
      .regex(
        /^(select|with)\b[^;]*;?$/is,
        "expected one SELECT (or WITH … SELECT) statement: checks run read-only, one statement each",
      ),
    "SQL run as the read-only user in a READ ONLY transaction (60 s statement timeout).",
    "SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid",
  ),
  expect: doc(
    z.union([
      z.strictObject({ rows: z.literal(0) }),
      z.strictObject({ value: z.number() }),
      z.strictObject({ baseline: z.enum(["equal", "atLeast", "atMost"]) }),
    ]),
    "Expected result: { rows: 0 } (no row), { value: n } (one row, first column n), or { baseline: equal | atLeast | atMost } (first column compared with the value captured before the release's migration).",
    { rows: 0 },
  ),
});

export const integrityChecksSchema = z
  .array(integrityCheckSchema)
  .max(50, "expected at most 50 checks (each runs before traffic moves)")
  .superRefine((checks, ctx) => {
    const seen = new Set<string>();
    checks.forEach((c, i) => {
      if (seen.has(c.name))
        ctx.addIssue({ code: "custom", path: [i, "name"], message: `expected unique names: '${c.name}' repeats` });
      seen.add(c.name);
    });
  });

export const databaseSchema = z.strictObject({
  instanceClass: doc(
    z.string().regex(/^db\.[a-z0-9]+\.[a-z0-9]+$/, "expected an RDS instance class such as db.r6g.large"),
    "RDS instance class.",
    "db.r6g.large",
  ),
  allocatedStorage: doc(z.number().int().min(20).max(65536), "Allocated storage (GiB).", 100),
  maxAllocatedStorage: doc(z.number().int().min(20).max(65536), "Storage autoscaling ceiling (GiB).", 500),
  engineVersion: doc(
    z
      .string()
      .regex(
        /^\d+$/,
        "expected the Postgres major version only, such as 16: minor versions are upgraded automatically (autoMinorVersionUpgrade), and a pinned minor such as 16.4 makes the first up after an automatic upgrade try to downgrade (@pulumi/aws rds.Instance engineVersion: give a prefix when autoMinorVersionUpgrade is on). Fix: pulumi config set --path 'database.engineVersion' '16'",
      ),
    "Postgres major version (RDS upgrades the minor version in the maintenance window; the version that runs is the instance's engineVersionActual).",
    "16",
  ),
  multiAz: doc(z.boolean(), "Multi-AZ deployment (required in prod).", true),
  pitrRetentionDays: doc(
    z
      .number()
      .int()
      .min(1, "expected 1-35 days: 0 disables point-in-time recovery")
      .max(35, "expected at most 35 days (RDS limit)"),
    `Automated backup retention = point-in-time recovery window (prod >= ${thresholdNumber("pitr-retention", "minimumDays", "prod")}).`,
    thresholdNumber("pitr-retention", "minimumDays", "prod"),
  ),
  deletionProtection: doc(z.boolean(), "Deletion protection (always on in prod).", true),
  crossRegionPitr: doc(
    z.boolean(),
    "Replicate the automated backups (snapshots and transaction logs) to the DR region (app:backups.crossRegionCopy.region), encrypted with a DR-region CMK, for point-in-time recovery there with the same window (RDS cross-Region automated backups). Required in prod.",
    true,
  ),
  restore: doc(
    z
      .strictObject({
        name: doc(
          z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, "expected a short lowercase name"),
          "Suffix of the restored instance name.",
          "incident-42",
        ),
        restoreTime: doc(
          isoInstant.optional(),
          "Point in time to restore to; omit to use the latest restorable time.",
          "2026-11-24T09:55:00Z",
        ),
        snapshotIdentifier: doc(
          z
            .string()
            .regex(
              /^[a-z][a-z0-9-]{0,254}$/,
              "expected an RDS snapshot identifier such as artifortress-prod-pre-1-4-0-1a2b3c4",
            )
            .optional(),
          "Restore from this DB snapshot instead of a point in time: the pre-release snapshot of a release (`npm run rollout -- history` names it, `<identifier>-pre-<release id>`). Not with restoreTime.",
          "artifortress-prod-pre-1-4-0-1a2b3c4",
        ),
        retire: doc(
          z.boolean().optional(),
          "Clean-up step 1 (docs/restore.md): lifts Pulumi `protect` from the restored instance, which keeps AWS deletion protection and retain-on-delete, so that removing the restore block (step 2) makes the stack forget the instance instead of deleting it.",
          true,
        ),
        cutover: doc(
          z.boolean().optional(),
          "Cutover (docs/restore.md): the restored instance becomes the primary: the application's connection strings, the database users Job (with the restored instance's own RDS-managed master secret), migrations, integrity checks, pre-release snapshots, alarms and the DR replication switch to it. The original instance is kept, protected, until `original` changes. Not with retire.",
          true,
        ),
        original: doc(
          z.enum(["keep", "retire", "forget"]).optional(),
          "After a cutover, the original instance, one reviewed change at a time: keep (default), retire (Pulumi protect lifted, retained on delete, AWS deletion protection kept), forget (no longer in the stack; it stays in AWS). Needs cutover.",
          "retire",
        ),
      })
      .optional(),
    "When set, a restored instance is created from the live instance's point-in-time backups beside it (see docs/restore.md).",
  ),
  integrityChecks: doc(
    integrityChecksSchema,
    "Data integrity checks run by a Job as the read-only database user: before the migration (baseline values), after it and before any traffic (a failure fails the up, so the release rolls back), and against a restored instance. An empty list runs none (refused in prod).",
    [
      {
        name: "invalid-indexes",
        query: "SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid",
        expect: { rows: 0 },
      },
    ],
  ),
});

export const backupsSchema = z.strictObject({
  releaseSnapshotsKept: doc(
    z.number().int().min(2).max(90),
    "Pre-release RDS snapshots kept (runbook 002: retain the last N); after a release the rollout driver deletes older ones. At least 2: the previous release's snapshot is the restore point of a rollback. RDS allows 100 manual snapshots per region.",
    5,
  ),
  dailyRetentionDays: doc(
    z.number().int().min(1).max(36500),
    "Retention of daily AWS Backup snapshots (rotation).",
    35,
  ),
  weeklyRetentionDays: doc(
    z.number().int().min(0).max(36500),
    "Retention of weekly snapshots (0 = no weekly tier).",
    90,
  ),
  monthlyRetentionDays: doc(
    z.number().int().min(0).max(36500),
    "Retention of monthly snapshots (0 = no monthly tier).",
    365,
  ),
  crossRegionCopy: doc(
    z
      .strictObject({
        region: doc(awsRegion, "Region of the copy vault.", "eu-west-1"),
        retentionDays: doc(z.number().int().min(1).max(36500), "Retention of the copies.", 35),
        restoreInto: doc(
          z
            .strictObject({
              dbSubnetGroupName: doc(
                z.string().regex(/^[a-z][a-z0-9-]{0,254}$/, "expected a DB subnet group name"),
                "DB subnet group in the DR region (made by the DR network stack).",
                "artifortress-dr-db",
              ),
              vpcSecurityGroupIds: doc(
                z.array(z.string().regex(/^sg-[0-9a-f]{8,17}$/, "expected a security group id sg-…")).min(1),
                "Security groups in the DR region for the restored instance (reachable from where the DR drill runs).",
                ["sg-0d1e2f3a4b5c6d7e8"],
              ),
            })
            .optional(),
          "Where restores in the DR region go: the weekly DR restore test of the copies and the quarterly DR drill (`npm run rollout -- dr-drill`) restore there. Required in prod.",
        ),
        rpoTargetMinutes: doc(
          z
            .number()
            .int()
            .min(RPO_FLOOR, `expected at least ${RPO_FLOOR} minutes: RDS uploads transaction logs every 5 minutes`)
            .max(1440)
            .default(15),
          "The DR drill fails when the data it restored in the DR region is older than this. Runbook 003 asks for replication every 5 minutes; RDS uploads transaction logs about every 5 minutes and adds a copy lag it does not bound, so the drill warns above 5 minutes and fails above this.",
          15,
        ),
      })
      .optional(),
    "Copy every recovery point to a vault in another region (required in prod).",
  ),
  vaultLock: doc(
    z
      .strictObject({
        minRetentionDays: doc(z.number().int().min(1), "Minimum retention enforced by the lock.", 7),
        maxRetentionDays: doc(z.number().int().min(1), "Maximum retention enforced by the lock.", 400),
        changeableForDays: doc(
          z.number().int().min(3),
          "Cooling-off period before the lock becomes immutable (compliance mode).",
          3,
        ),
      })
      .optional(),
    "AWS Backup vault lock (required in prod).",
  ),
  restoreTesting: doc(
    z.boolean(),
    "Create a restore-testing plan for the database (runbook 004: verify backup integrity).",
    true,
  ),
});

export const authSchema = z.strictObject({
  oidc: z.strictObject({
    enabled: doc(z.boolean(), "Auth__Oidc__Enabled.", true),
    issuer: doc(
      z.url("expected an https URL").optional(),
      "Auth__Oidc__Issuer (required when enabled).",
      "https://login.example.com/",
    ),
    audience: doc(nonEmpty.optional(), "Auth__Oidc__Audience (required when enabled).", "artifortress-api"),
    jwksJson: doc(
      nonEmpty.optional(),
      "Auth__Oidc__JwksJson (public keys); this or the secret `oidcHs256SharedSecret` is required when enabled.",
      '{"keys":[]}',
    ),
    roleMappings: doc(z.array(nonEmpty), "Auth__Oidc__RoleMappings (claim-to-role).", ["group:admins=admin"]),
  }),
  saml: z.strictObject({
    enabled: doc(z.boolean(), "Enable SAML federation.", false),
    idpMetadataUrl: doc(
      z.url("expected an https URL").optional(),
      "Auth__Saml__IdpMetadataUrl (required when enabled).",
      "https://idp.example.com/metadata",
    ),
    expectedIssuer: doc(
      nonEmpty.optional(),
      "Auth__Saml__ExpectedIssuer (required when enabled).",
      "https://idp.example.com/",
    ),
    serviceProviderEntityId: doc(
      nonEmpty.optional(),
      "Auth__Saml__ServiceProviderEntityId (required when enabled).",
      "urn:artifortress:sp",
    ),
    roleMappings: doc(z.array(nonEmpty), "Auth__Saml__RoleMappings (required non-empty when enabled).", [
      "group:admins=admin",
    ]),
    issuedPatTtlMinutes: doc(z.number().int().min(5).max(1440), "Auth__Saml__IssuedPatTtlMinutes.", 60),
  }),
});

export const objectStorageSchema = z.strictObject({
  noncurrentVersionExpirationDays: doc(
    z.number().int().min(1).max(3650),
    "Days before noncurrent object versions expire.",
    30,
  ),
});

export const alarmsSchema = z.strictObject({
  errorRatePercent: doc(
    z.number().gt(0).max(100),
    `5xx error-rate threshold per color (runbook 004: ${TRIGGER.errorRate} %; the pack refuses a laxer one).`,
    TRIGGER.errorRate,
  ),
  errorRateMinutes: doc(
    z.number().int().min(1).max(60),
    `Minutes the error rate must exceed the threshold (runbook 004: ${TRIGGER.minutes}).`,
    TRIGGER.minutes,
  ),
  p95LatencySeconds: doc(
    z.number().gt(0).max(60),
    `p95 TargetResponseTime threshold (runbook 004: ${TRIGGER.p95} s).`,
    TRIGGER.p95,
  ),
  p95LatencyMinutes: doc(z.number().int().min(1).max(60), "Minutes p95 must exceed the threshold.", TRIGGER.minutes),
  unhealthyHostMinutes: doc(
    z.number().int().min(1).max(60),
    "Minutes with an unhealthy target before the live color alarms.",
    2,
  ),
  elb5xxThreshold: doc(
    z.number().int().min(1),
    "Load-balancer-generated 5xx responses per 5 minutes that alarm (no healthy target, misrouting).",
    10,
  ),
  database: z.strictObject({
    cpuPercent: doc(z.number().gt(0).max(100), "Database CPU alarm threshold (15 minutes).", 80),
    freeStoragePercent: doc(
      z.number().gt(0).max(100),
      "Alarm when free storage falls below this percent of allocated storage.",
      10,
    ),
    freeableMemoryMiB: doc(z.number().int().min(1), "Alarm when freeable memory falls below this (MiB).", 256),
    maxConnections: doc(z.number().int().min(1), "Alarm when connections exceed this.", 400),
  }),
  prometheusRule: doc(
    z.boolean(),
    "Also create a PrometheusRule with the same SLOs, a PodMonitor that scrapes the API and the NetworkPolicy that lets Prometheus in (clusters running Prometheus Operator).",
    false,
  ),
  prometheus: z.strictObject({
    selectorLabels: doc(
      z.record(z.string(), z.string()),
      "Labels the Prometheus resource's ruleSelector / podMonitorSelector match (kube-prometheus-stack: release=<its release name>); without them Prometheus ignores the rule and the monitor.",
      { release: "kube-prometheus-stack" },
    ),
    namespace: doc(
      nonEmpty,
      "Namespace Prometheus runs in (admitted to the API's metrics by a NetworkPolicy).",
      "monitoring",
    ),
    metricsPath: doc(
      z.string().startsWith("/", "expected a path"),
      "Path of the API's Prometheus metrics (on its http port).",
      "/metrics",
    ),
  }),
  notificationEmails: doc(z.array(z.email("expected an email address")), "Email subscriptions of the alert topic.", [
    "oncall@example.com",
  ]),
  notificationHttpsEndpoints: doc(z.array(z.url("expected an https URL")), "HTTPS subscriptions (paging tool).", [
    "https://events.pagerduty.com/integration/abc/enqueue",
  ]),
  workerMetrics: z.strictObject({
    namespace: doc(nonEmpty, "CloudWatch namespace the worker publishes to.", "Artifortress/Worker"),
    backlogMetric: doc(nonEmpty, "Gauge: jobs waiting (outbox/job backlog).", "JobBacklog"),
    backlogThreshold: doc(z.number().min(0), "Backlog that pages.", 1000),
    failedJobsMetric: doc(nonEmpty, "Counter: failed jobs.", "FailedJobs"),
    failedJobsThreshold: doc(z.number().min(0), "Failed jobs per 5 minutes that page.", 10),
    policyTimeoutsMetric: doc(nonEmpty, "Counter: policy evaluation timeouts.", "PolicyTimeouts"),
    policyTimeoutsThreshold: doc(z.number().min(0), "Policy timeouts per 5 minutes that page.", 5),
  }),
});

export const rolloutSchema = z.strictObject({
  steps: doc(
    z.array(z.number().int().min(1).max(100)).min(1),
    "Traffic percentages sent to the new color, in order; the last must be 100.",
    [10, 50, 100],
  ),
  bakeMinutes: doc(z.number().min(0).max(1440), "Minutes to watch alarms after each traffic step.", 15),
  watchMinutes: doc(
    z.number().min(0).max(1440),
    "Post-deploy watch window on the new live color (runbook 001 §7).",
    60,
  ),
  pollSeconds: doc(z.number().int().min(1).max(300), "Alarm poll interval during bake and watch.", 15),
  gates: z.strictObject({
    preflight: doc(
      z.array(z.enum(SIGNALS)).min(1),
      "Signals whose alarms must all exist and be OK before a release starts (runbook 001 §1 go/no-go); see docs/signals.md.",
      [...SIGNALS],
    ),
    traffic: doc(
      z.array(z.enum(SIGNALS)).min(1),
      "Signals polled during each traffic step's bake; any alarm in ALARM rolls back (runbook 004 rollback triggers).",
      ["new-color", "old-color", "elb-5xx"],
    ),
    watch: doc(z.array(z.enum(SIGNALS)).min(1), "Signals polled during the post-deploy watch (runbook 001 §7).", [
      ...SIGNALS,
    ]),
  }),
  minRequests: doc(
    z.number().int().min(0),
    "Evidence: requests the new color must have served during a bake (or the watch) before the release may advance; 0 turns the check off.",
    100,
  ),
  noDataExtensionMinutes: doc(
    z.number().min(0).max(1440),
    "How long a bake without evidence (too few requests, a gating alarm in INSUFFICIENT_DATA) is extended before app:rollout.onNoData applies.",
    15,
  ),
  onNoData: doc(
    z.enum(["rollback", "pause"]),
    "What a bake still without evidence after the extension does: roll back, or pause the release for a person (`rollout resume` bakes again, `rollout abort` rolls back).",
    "rollback",
  ),
  notifyWebhookSecret: doc(
    nonEmpty.optional(),
    "Secrets Manager secret (name or ARN) whose value is a webhook URL (e.g. a status page; it may carry its token) that receives every release notification as a JSON POST. Read at run time, never stored in config.",
    undefined,
  ),
  workerDrainMinutes: doc(
    z.number().min(0).max(240),
    "After the worker resumes, minutes its backlog alarm may stay in ALARM (jobs queued while it was paused drain) before it gates the watch.",
    15,
  ),
  consecutiveErrorLimit: doc(
    z.number().int().min(0).max(100),
    "Alarm-API errors in a row tolerated during a bake; one more counts as a failure and rolls back (Argo Rollouts' consecutiveErrorLimit, default 4).",
    4,
  ),
  pauseWorkerDuringMigration: doc(z.boolean(), "Pause the worker while the new color is deployed and migrated.", true),
  certificateMinDays: doc(
    z.number().int().min(1).max(365),
    `Preflight: the ACM certificate must stay valid at least this long (prod >= ${thresholdNumber("tls-everywhere", "certificateMinDays", "prod")}).`,
    thresholdNumber("tls-everywhere", "certificateMinDays", "prod"),
  ),
  stateTable: doc(
    z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, "expected a DynamoDB table name"),
    "DynamoDB table of the release store: the lease, rollout status, deployed release keys and ledger of every stack (created by `rollout init-store`).",
    "app-rollout",
  ),
});

const flowStepSchema = z.strictObject({
  name: nonEmpty,
  method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]),
  path: z.string().startsWith("/", "expected a path starting with /, e.g. /v1/repos/{repoId}"),
  auth: z.enum(["none", "admin"]).default("none"),
  body: z.unknown().optional(),
  status: z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)]),
  expect: z.record(z.string(), z.unknown()).optional(),
  save: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected a variable name"), nonEmpty).optional(),
});

/** The smoke flow of runbook 001 §4.8: auth, repo read, draft/publish happy path. */
export const DEFAULT_FLOW: z.input<typeof flowStepSchema>[] = [
  { name: "auth", method: "GET", path: "/v1/auth/whoami", auth: "admin", status: 200, expect: { role: "admin" } },
  // A repository kept for the smoke test (app:checks.vars.smokeRepo): never a customer's.
  {
    name: "repo read",
    method: "GET",
    path: "/v1/repos/{smokeRepo}",
    auth: "admin",
    status: 200,
    save: { repoId: "id" },
  },
  {
    name: "draft",
    method: "POST",
    path: "/v1/repos/{repoId}/drafts",
    auth: "admin",
    body: { title: "rollout smoke test {releaseId} {color}" },
    status: 201,
    save: { draftId: "id" },
  },
  {
    name: "publish",
    method: "POST",
    path: "/v1/drafts/{draftId}/publish",
    auth: "admin",
    status: 200,
    expect: { state: "published" },
  },
];

export const checksSchema = z.strictObject({
  service: doc(nonEmpty, "Service name /version must report (runbook 002 §5).", "artifortress-api"),
  opsSummary: z.strictObject({
    enabled: doc(
      z.boolean(),
      "Read the admin ops summary: smoke test (the privileged endpoint answers), driver preflight baseline, after each stage and after a rollback (runbook 001 §4.7, §5, §6.4).",
      true,
    ),
    path: doc(z.string().startsWith("/", "expected a path"), "Path of the ops summary.", "/v1/admin/ops/summary"),
    critical: doc(
      z.array(z.strictObject({ counter: nonEmpty, maxIncrease: z.number().min(0) })),
      "Critical counters (dotted JSON paths) and the increase over the preflight baseline that is a no-go (runbook 001 §5: no critical regression in ops summary counters).",
      [
        { counter: "searchJobs.failed", maxIncrease: 5 },
        { counter: "policy.timeouts", maxIncrease: 5 },
      ],
    ),
  }),
  vars: doc(
    z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "expected a variable name"), z.string()),
    "Values of the flow's {var} placeholders, besides the built-ins releaseId, version and color (the color under test).",
    { smokeRepo: "rollout-smoke" },
  ),
  flow: doc(
    z.array(flowStepSchema),
    'Smoke flow run by the smoke test before traffic moves: HTTP steps with method, path ({var} from an earlier step\'s save), auth (none | admin), body, expected status, expected JSON fields (dotted path → value, "*" = present), save (variable → dotted path).',
    DEFAULT_FLOW,
  ),
});

export const smokeSchema = z.strictObject({
  image: doc(
    imageSchema,
    "Image of the smoke-test runner: this project's smoke/ CLI, built from runner/Dockerfile and pushed by the runner-image workflow (deploy it by digest). It runs the smoke test Job against the color under test and the db-users Job (app-db-users) that creates the least-privilege database users.",
    "123456789012.dkr.ecr.eu-central-1.amazonaws.com/platform/rollout-runner:sha-1a2b3c4",
  ),
  deadlineSeconds: doc(
    z.number().int().min(30).max(1800),
    "How long the smoke test retries before it fails the deploy.",
    300,
  ),
});

/** Config keys whose values are secrets (`pulumi config set --secret`). Never committed in clear. */
export const secretsSchema = {
  kubeconfig: doc(nonEmpty.optional(), "Kubeconfig for the cluster; omit to use the ambient context.", undefined, {
    secret: true,
  }),
  oidcHs256SharedSecret: doc(
    z.string().min(32, "expected at least 32 characters").optional(),
    "Auth__Oidc__Hs256SharedSecret.",
    undefined,
    { secret: true },
  ),
};
export type SecretKey = keyof typeof secretsSchema;
export const SECRET_KEYS = Object.keys(secretsSchema) as SecretKey[];

const shape = {
  environment: doc(
    z.enum(["staging", "prod"]),
    "Environment; selects the defaults of config/defaults.ts and the readiness rules.",
    "prod",
  ),
  network: networkSchema,
  cluster: clusterSchema,
  tls: tlsSchema,
  api: apiSchema,
  worker: workerSchema,
  blueGreen: blueGreenSchema,
  release: releaseSchema,
  database: databaseSchema,
  backups: backupsSchema,
  auth: authSchema,
  objectStorage: objectStorageSchema,
  alarms: alarmsSchema,
  rollout: rolloutSchema,
  smoke: smokeSchema,
  checks: checksSchema,
  secretRotation: doc(
    z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, "expected a short token such as 2026-11"),
    "Rotation key: changing it regenerates the bootstrap token and other generated secrets.",
    "2026-11",
  ),
  ...secretsSchema,
};

/** The object schema without cross-field rules (used by the generators). */
export const configObjectSchema = z.strictObject(shape);

type ConfigObject = z.output<typeof configObjectSchema>;
/** Reports one cross-field problem at `path` of the config. */
type Issue = (path: (string | number)[], message: string, input?: unknown) => void;

/** Either a platform stack reference or every explicit network id. */
function networkRules(c: ConfigObject, issue: Issue): void {
  const n = c.network;
  const explicit = [n.vpcId, n.privateSubnetIds, n.publicSubnetIds, n.clusterSecurityGroupId];
  if (n.platformStack === undefined) {
    const names = ["vpcId", "privateSubnetIds", "publicSubnetIds", "clusterSecurityGroupId"];
    explicit.forEach((v, i) => {
      if (v === undefined)
        issue(["network", names[i]], "expected a value: set network.platformStack or all explicit network ids");
    });
  } else if (explicit.some((v) => v !== undefined)) {
    issue(
      ["network", "platformStack"],
      "expected either a platform stack reference or explicit ids, not both",
      n.platformStack,
    );
  }
}

/** What an enabled OIDC or SAML sign-in needs. */
function authRules(c: ConfigObject, issue: Issue): void {
  const o = c.auth.oidc;
  if (o.enabled) {
    if (!o.issuer) issue(["auth", "oidc", "issuer"], "expected an issuer URL because auth.oidc.enabled is true");
    if (!o.audience) issue(["auth", "oidc", "audience"], "expected an audience because auth.oidc.enabled is true");
    if (!o.jwksJson && !c.oidcHs256SharedSecret)
      issue(
        ["auth", "oidc", "jwksJson"],
        "expected auth.oidc.jwksJson or the secret oidcHs256SharedSecret because auth.oidc.enabled is true",
      );
    if (o.jwksJson) {
      try {
        JSON.parse(o.jwksJson);
      } catch {
        issue(["auth", "oidc", "jwksJson"], "expected a JSON document (a JWKS key set)", o.jwksJson);
      }
    }
  }
  const s = c.auth.saml;
  if (s.enabled) {
    if (!s.idpMetadataUrl)
      issue(["auth", "saml", "idpMetadataUrl"], "expected a metadata URL because auth.saml.enabled is true");
    if (!s.expectedIssuer)
      issue(["auth", "saml", "expectedIssuer"], "expected an issuer because auth.saml.enabled is true");
    if (!s.serviceProviderEntityId)
      issue(["auth", "saml", "serviceProviderEntityId"], "expected an entity id because auth.saml.enabled is true");
    if (s.roleMappings.length === 0)
      issue(
        ["auth", "saml", "roleMappings"],
        "expected at least one role mapping because auth.saml.enabled is true",
        [],
      );
  }
}

/** The release window: ends after it starts, at most 24 hours long. */
function releaseWindowRules(c: ConfigObject, issue: Issue): void {
  const w = c.release.window;
  if (Date.parse(w.end) <= Date.parse(w.start))
    issue(["release", "window", "end"], `expected a time after release.window.start (${w.start})`, w.end);
  else if (Date.parse(w.end) - Date.parse(w.start) > 24 * 3600_000)
    issue(["release", "window", "end"], "expected a release window of at most 24 hours", w.end);
}

/** The colors' images, the canary weight of a scaled-down color and the commit of the release under way. */
function blueGreenRules(c: ConfigObject, issue: Issue): void {
  for (const color of ["blue", "green"] as const) {
    const img = parseImmutableImage(c.blueGreen[color].image);
    if (img && img.repository !== c.api.imageRepository)
      issue(
        ["blueGreen", color, "image"],
        `expected an image from api.imageRepository (${c.api.imageRepository})`,
        c.blueGreen[color].image,
      );
  }

  if (c.blueGreen.scaleDownIdle && c.blueGreen.canaryWeight > 0)
    issue(
      ["blueGreen", "canaryWeight"],
      "expected 0 while blueGreen.scaleDownIdle is true: a scaled-down color takes no traffic",
      c.blueGreen.canaryWeight,
    );
  const commits = (["blue", "green"] as const).map((color) => parseImmutableImage(c.blueGreen[color].image)?.commit);
  if (commits.every((x) => x !== undefined) && !commits.some((x) => x && sameCommit(x, c.release.commit)))
    issue(
      ["release", "commit"],
      "expected the commit of the image of blueGreen.blue or blueGreen.green (the release under way)",
      c.release.commit,
    );
}

/** The API's autoscaling ceiling covers its replicas. */
function apiRules(c: ConfigObject, issue: Issue): void {
  if (c.api.autoscaling.enabled && c.api.autoscaling.maxReplicas < c.api.replicas)
    issue(
      ["api", "autoscaling", "maxReplicas"],
      `expected at least api.replicas (${c.api.replicas})`,
      c.api.autoscaling.maxReplicas,
    );
}

/** Bake and watch long enough for the gating alarms to judge, no worker gate while it is paused, the steps. */
function rolloutRules(c: ConfigObject, issue: Issue): void {
  const r = c.rollout;
  const bakeWindow = gatingWindowMinutes(r.gates.traffic, c.alarms);
  if (r.bakeMinutes < bakeWindow)
    issue(
      ["rollout", "bakeMinutes"],
      `expected at least ${bakeWindow} min: one full evaluation window of the alarms gating traffic steps (app:rollout.gates.traffic: ${r.gates.traffic.join(", ")}) plus the minute CloudWatch takes to publish the last datapoint; a shorter bake advances before they judged the new traffic`,
      r.bakeMinutes,
    );
  if (r.pauseWorkerDuringMigration && r.gates.traffic.includes("worker"))
    issue(
      ["rollout", "gates", "traffic"],
      "expected no worker signal while app:rollout.pauseWorkerDuringMigration is true: the worker runs 0 replicas during the traffic steps, so its alarms have no data then (gate the watch on it: app:rollout.gates.watch)",
      r.gates.traffic,
    );
  const watchWindow = gatingWindowMinutes(r.gates.watch, c.alarms);
  if (r.watchMinutes > 0 && r.watchMinutes < watchWindow)
    issue(
      ["rollout", "watchMinutes"],
      `expected 0 or at least ${watchWindow} min: one full evaluation window of the alarms gating the watch (app:rollout.gates.watch: ${r.gates.watch.join(", ")})`,
      r.watchMinutes,
    );

  const steps = c.rollout.steps;
  if (steps.some((v, i) => i > 0 && v <= steps[i - 1]) || steps[steps.length - 1] !== 100)
    issue(["rollout", "steps"], "expected strictly increasing percentages ending at 100, such as [10, 50, 100]", steps);
}

/** The storage autoscaling ceiling covers the allocated storage. */
function databaseRules(c: ConfigObject, issue: Issue): void {
  if (c.database.maxAllocatedStorage < c.database.allocatedStorage)
    issue(
      ["database", "maxAllocatedStorage"],
      `expected at least database.allocatedStorage (${c.database.allocatedStorage})`,
      c.database.maxAllocatedStorage,
    );
  const restore = c.database.restore;
  if (restore?.snapshotIdentifier && restore.restoreTime)
    issue(
      ["database", "restore", "snapshotIdentifier"],
      "expected either restoreTime (point in time) or snapshotIdentifier (a snapshot), not both",
      restore.snapshotIdentifier,
    );
  if (restore?.cutover && restore.retire)
    issue(
      ["database", "restore", "retire"],
      "expected no retire after a cutover: the restored instance is the primary (retire the original with restore.original: retire)",
      true,
    );
  if (restore && !restore.cutover && (restore.original ?? "keep") !== "keep")
    issue(
      ["database", "restore", "original"],
      "expected restore.cutover: true first: before the cutover the original instance is the primary",
      restore.original,
    );
  if (c.database.crossRegionPitr && !c.backups.crossRegionCopy)
    issue(
      ["database", "crossRegionPitr"],
      "expected app:backups.crossRegionCopy.region to name the DR region the automated backups are replicated to (or crossRegionPitr: false)",
      true,
    );
}

/** A vault lock range that is a range, and a daily retention inside it. */
function backupRules(c: ConfigObject, issue: Issue): void {
  const lock = c.backups.vaultLock;
  if (lock && lock.maxRetentionDays < lock.minRetentionDays)
    issue(
      ["backups", "vaultLock", "maxRetentionDays"],
      "expected at least backups.vaultLock.minRetentionDays",
      lock.maxRetentionDays,
    );
  if (
    lock &&
    (c.backups.dailyRetentionDays < lock.minRetentionDays || c.backups.dailyRetentionDays > lock.maxRetentionDays)
  )
    issue(
      ["backups", "dailyRetentionDays"],
      `expected a retention inside the vault lock range ${lock.minRetentionDays}-${lock.maxRetentionDays} days`,
      c.backups.dailyRetentionDays,
    );
}

/** The full schema: the object plus the cross-field and readiness rules (issues reported in this order). */
export const configSchema = configObjectSchema.superRefine((c, ctx) => {
  const issue: Issue = (path, message, input) => ctx.addIssue({ code: "custom", path, message, input });
  networkRules(c, issue);
  authRules(c, issue);
  releaseWindowRules(c, issue);
  blueGreenRules(c, issue);
  apiRules(c, issue);
  rolloutRules(c, issue);
  databaseRules(c, issue);
  backupRules(c, issue);
  readinessIssues(c, issue);
});

/** Validated stack configuration, defaults applied. */
export type AppConfig = z.output<typeof configSchema>;
/** The cluster and add-on versions a stack declares (checked by the gate). */
export type ClusterVersions = Pick<AppConfig["cluster"], "kubernetesVersion" | "addons">;
/** What a stack file may contain (before defaults). */
export type AppConfigInput = z.input<typeof configSchema>;
export type Environment = AppConfig["environment"];
