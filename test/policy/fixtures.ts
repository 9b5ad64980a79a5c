/**
 * Violating fixtures: each mutates a real captured plan into one that a policy must refuse, with the message
 * it must give (shared by the committed-plan tests and the preview tests).
 */
import type { ReadinessId } from "@app-rollout/shared";
import type { CapturedPlan, CapturedResource } from "../../gate/capture";
import { mutate, type Props, without } from "../support/policy";
import { one, type StackName } from "../support/stacks";

export const T = {
  db: "aws:rds/instance:Instance",
  deployment: "kubernetes:apps/v1:Deployment",
  listener: "aws:lb/listener:Listener",
  tg: "aws:lb/targetGroup:TargetGroup",
  alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
};

const container = (p: Props) => p.spec.template.spec.containers[0];
const smokeJob = (p: CapturedPlan) =>
  p.resources.find(
    (r) =>
      r.type === "kubernetes:batch/v1:Job" &&
      (r.inputs.metadata as Props).labels["app.kubernetes.io/component"] === "smoke",
  ) as CapturedResource;
/** The prod stack file releases 1.4.0 from commit 1a2b3c4 (live blue): the migration Job of that release. */
const JOB = "migration-1-4-0-1a2b3c4";

export interface Fixture {
  policy: string;
  /**
   * The readiness item the fixture breaks; needed when the policy enforces more than one
   * (test/policy/readiness.test.ts: every item a policy claims has a fixture of it).
   */
  item?: ReadinessId;
  stack: StackName;
  what: string;
  make: (p: CapturedPlan) => CapturedPlan;
  message: RegExp;
}

export const fixtures: Fixture[] = [
  // data
  {
    policy: "data-pitr-retention",
    stack: "prod",
    what: "7 days of PITR in prod",
    make: (p) => mutate(p, T.db, "db-instance", (x) => (x.backupRetentionPeriod = 7)),
    message: /backupRetentionPeriod is 7 day\(s\); point-in-time recovery needs at least 14/,
  },
  {
    policy: "data-pitr-retention",
    stack: "prod",
    what: "retention not set explicitly",
    make: (p) => mutate(p, T.db, "db-instance", (x) => delete x.backupRetentionPeriod),
    message: /backupRetentionPeriod is not set/,
  },
  {
    policy: "data-storage-encrypted-cmk",
    stack: "prod",
    what: "unencrypted storage",
    make: (p) =>
      mutate(p, T.db, "db-instance", (x) => {
        x.storageEncrypted = false;
        delete x.kmsKeyId;
      }),
    message: /storageEncrypted is not true/,
  },
  {
    policy: "data-not-public",
    stack: "prod",
    what: "public database",
    make: (p) => mutate(p, T.db, "db-instance", (x) => (x.publiclyAccessible = true)),
    message: /publiclyAccessible is true/,
  },
  {
    policy: "data-deletion-safety",
    stack: "prod",
    what: "no final snapshot",
    make: (p) => mutate(p, T.db, "db-instance", (x) => (x.skipFinalSnapshot = true)),
    message: /skipFinalSnapshot is true/,
  },
  {
    policy: "data-deletion-safety",
    stack: "prod",
    what: "prod database not protected",
    make: (p) => mutate(p, T.db, "db-instance", (_x, r) => (r.options.protect = false)),
    message: /resource option protect is not set/,
  },
  {
    policy: "data-deletion-safety",
    stack: "prod",
    what: "a restored instance in clean-up without deletion protection",
    make: (p) =>
      mutate(p, T.db, "db-instance", (x, r) => {
        x.tags = { ...(x.tags ?? {}), "rollout/restore-state": "retiring" };
        x.deletionProtection = false;
        r.options.protect = false;
      }),
    message: /a restored instance in clean-up \(retiring\) must keep deletionProtection: true/,
  },
  {
    policy: "data-integrity-before-traffic",
    stack: "prod",
    what: "no integrity checks after the migration",
    make: (p) => without(p, (r) => r.type === "kubernetes:batch/v1:Job" && r.name.startsWith("integrity-verify")),
    message:
      /no integrity checks run after migration Job migration-1-4-0-1a2b3c4: a migration that corrupts data would reach traffic/,
  },
  {
    policy: "data-integrity-before-traffic",
    stack: "staging",
    what: "the color under test waiting for the migration only",
    // The color's Deployment, Service, binding… (the component forwards dependsOn to all) wait for the
    // migration Job instead of its integrity checks.
    make: (p) => {
      const copy = structuredClone(p);
      const migration = copy.resources.find(
        (r) => r.type === "kubernetes:batch/v1:Job" && r.name.startsWith("migration-"),
      )!;
      for (const r of copy.resources.filter((x) => x.name.startsWith("api-")))
        if (r.dependencies.some((u) => u.includes("integrity-verify")))
          r.dependencies = [...r.dependencies.filter((u) => !u.includes("integrity-verify")), migration.urn];
      return copy;
    },
    message: /api-\w+-deployment rolls after migration Job migration-\S+ without waiting for its integrity checks/,
  },
  {
    policy: "data-cross-region-pitr",
    stack: "prod",
    what: "no cross-region automated backups replication",
    make: (p) => without(p, (r) => r.name === "db-backup-replication"),
    message:
      /database artifortress-prod has no cross-region automated backups replication: a region loss loses everything since the last daily copy/,
  },
  {
    policy: "data-cross-region-pitr",
    stack: "prod",
    what: "replicated backups kept shorter than the PITR window",
    make: (p) =>
      mutate(
        p,
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
        "db-backup-replication",
        (x) => (x.retentionPeriod = 3),
      ),
    message: /kept 3 days, less than its 21-day point-in-time window/,
  },
  {
    policy: "data-dr-restore-testing",
    stack: "prod",
    what: "the DR copy vault is never restore-tested",
    make: (p) => without(p, (r) => r.name.startsWith("backups-dr-restore-test")),
    message: /no restore-testing plan in eu-west-1 includes the vault artifortress-prod-dr-vault/,
  },
  {
    policy: "data-dr-restore-testing",
    stack: "prod",
    what: "the DR restore test restores into the default VPC",
    make: (p) =>
      mutate(
        p,
        "aws:backup/restoreTestingSelection:RestoreTestingSelection",
        "backups-dr-restore-test-db",
        (x) => delete x.restoreMetadataOverrides,
      ),
    message: /names no DB subnet group: AWS Backup would restore into the default VPC of eu-west-1/,
  },
  {
    policy: "observability-rollback-triggers",
    stack: "prod",
    what: "an error-rate alarm at 5 %",
    make: (p) => mutate(p, T.alarm, "alarms-green-error-rate", (x) => (x.threshold = 5)),
    message: /fires above 5 %, laxer than the runbook 004 rollback trigger: error rate > 1 % for 5 min/,
  },
  {
    policy: "observability-rollback-triggers",
    stack: "prod",
    what: "a p95 alarm at 3 s needing 10 minutes",
    make: (p) =>
      mutate(p, T.alarm, "alarms-green-p95", (x) => {
        x.threshold = 3;
        x.evaluationPeriods = 10;
        x.datapointsToAlarm = 10;
      }),
    message: /fires above 3 s, laxer than the runbook 004 rollback trigger: p95 latency > 1 s/,
  },
  {
    policy: "observability-alerts-reach-someone",
    stack: "prod",
    what: "an alert topic without subscribers",
    make: (p) =>
      without(
        p,
        (r) => r.type === "aws:sns/topicSubscription:TopicSubscription" && /^alerts-(email|https)-/.test(r.name),
      ),
    message:
      /topic artifortress-prod-alerts receives the alarms but has no subscription: every alarm would reach nobody/,
  },
  {
    policy: "data-multi-az",
    stack: "prod",
    what: "single-AZ prod database",
    make: (p) => mutate(p, T.db, "db-instance", (x) => (x.multiAz = false)),
    message: /multiAz is not true/,
  },
  {
    policy: "data-keep-automated-backups",
    stack: "prod",
    what: "automated backups deleted with the instance",
    make: (p) => mutate(p, T.db, "db-instance", (x) => (x.deleteAutomatedBackups = true)),
    message: /would delete its point-in-time backups/,
  },
  {
    policy: "data-backup-coverage",
    stack: "prod",
    what: "database not in a backup selection",
    make: (p) =>
      mutate(p, "aws:backup/selection:Selection", "backups-selection", (x, r) => {
        x.resources = [];
        r.propertyDependencies.resources = [];
      }),
    message: /database db-instance is not in any AWS Backup selection/,
  },
  {
    policy: "data-backup-vault-encrypted",
    stack: "prod",
    what: "vault without CMK",
    make: (p) => mutate(p, "aws:backup/vault:Vault", "backups-vault", (x) => delete x.kmsKeyArn),
    message: /kmsKeyArn is not set/,
  },
  {
    policy: "data-vault-lock",
    stack: "prod",
    what: "no vault lock",
    make: (p) => without(p, (r) => r.type === "aws:backup/vaultLockConfiguration:VaultLockConfiguration"),
    message: /backup vault artifortress-prod-vault has no vault lock/,
  },
  {
    policy: "data-cross-region-copy",
    stack: "prod",
    what: "no cross-region copy",
    make: (p) =>
      mutate(p, "aws:backup/plan:Plan", "backups-plan", (x) => {
        for (const r of x.rules) r.copyActions = [];
      }),
    message: /backup rule daily of backups-plan has no copy to another region/,
  },
  {
    policy: "data-restore-testing",
    stack: "prod",
    what: "no restore testing",
    make: (p) => without(p, (r) => r.type === "aws:backup/restoreTestingSelection:RestoreTestingSelection"),
    message: /database db-instance has no restore-testing plan and selection/,
  },
  {
    policy: "data-release-snapshot",
    stack: "prod",
    what: "snapshot of another release",
    make: (p) =>
      mutate(
        p,
        "aws:rds/snapshot:Snapshot",
        "release-snapshot-1-4-0-1a2b3c4",
        (x) => (x.tags["rollout/release-id"] = "1-3-0-0c0ffee"),
      ),
    message: /no RDS snapshot tagged rollout\/release-id=1-4-0-1a2b3c4 for migration Job migrate-1-4-0-1a2b3c4/,
  },
  {
    policy: "data-migration-after-snapshot",
    stack: "prod",
    what: "migration not after the snapshot",
    // Neither directly nor through the integrity baseline Job (which runs after the snapshot).
    make: (p) =>
      mutate(
        p,
        "kubernetes:batch/v1:Job",
        JOB,
        (_x, r) =>
          (r.dependencies = r.dependencies.filter(
            (u) => !u.includes("aws:rds/snapshot") && !u.includes("integrity-baseline"),
          )),
      ),
    message: /migration Job migration-1-4-0-1a2b3c4 does not depend on a pre-release snapshot/,
  },
  {
    policy: "data-migration-after-snapshot",
    stack: "prod",
    what: "no migration Job, and no snapshot saying the release's migration failed",
    make: (p) => ({ ...p, resources: p.resources.filter((r) => r.name !== JOB) }),
    message: /no migration Job \(label app\.kubernetes\.io\/component=migration\) in the stack/,
  },
  {
    policy: "data-bucket-public-access",
    stack: "prod",
    what: "a public access block off",
    make: (p) =>
      mutate(
        p,
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "objects-public-access",
        (x) => (x.restrictPublicBuckets = false),
      ),
    message: /bucket objects-bucket: restrictPublicBuckets not true/,
  },
  // edge
  {
    policy: "edge-https-listener",
    stack: "prod",
    what: "legacy TLS policy",
    make: (p) => mutate(p, T.listener, "traffic-https", (x) => (x.sslPolicy = "ELBSecurityPolicy-2016-08")),
    message: /sslPolicy ELBSecurityPolicy-2016-08 is not one of/,
  },
  {
    policy: "edge-http-redirect-only",
    stack: "prod",
    what: "HTTP listener forwarding",
    make: (p) =>
      mutate(p, T.listener, "edge-http", (x) => (x.defaultActions = [{ type: "forward", targetGroupArn: "arn:tg" }])),
    message: /HTTP listener on port 80 has actions other than a redirect to HTTPS: forward/,
  },
  {
    policy: "edge-health-check",
    stack: "prod",
    what: "health check on /",
    make: (p) => mutate(p, T.tg, "edge-tg-blue", (x) => (x.healthCheck.path = "/")),
    message: /health check path \/ is the root/,
  },
  {
    policy: "edge-health-check",
    stack: "prod",
    what: "unhealthy threshold 10",
    make: (p) => mutate(p, T.tg, "edge-tg-green", (x) => (x.healthCheck.unhealthyThreshold = 10)),
    message: /unhealthyThreshold is 10; expected 2-5/,
  },
  {
    policy: "edge-weights-sum",
    stack: "prod",
    what: "weights summing to 110",
    make: (p) =>
      mutate(p, T.listener, "traffic-https", (x) => {
        x.defaultActions[0].forward.targetGroups[0].weight = 90;
        x.defaultActions[0].forward.targetGroups[1].weight = 20;
      }),
    message: /forward weights sum to 110, not 100/,
  },
  {
    policy: "edge-smoke-tested-weight",
    stack: "staging",
    what: "canary weight without the smoke test",
    make: (p) =>
      mutate(
        p,
        T.listener,
        "traffic-https",
        (_x, r) => (r.dependencies = r.dependencies.filter((u) => !u.includes("SmokeTest$kubernetes:batch/v1:Job"))),
      ),
    message: /listener traffic-https does not wait for a smoke test of green, the color under test/,
  },
  {
    policy: "edge-smoke-tested-weight",
    stack: "prod",
    what: "listener not waiting for the smoke test at canaryWeight 0",
    make: (p) =>
      mutate(
        p,
        T.listener,
        "traffic-https",
        (_x, r) => (r.dependencies = r.dependencies.filter((u) => !u.includes("SmokeTest$kubernetes:batch/v1:Job"))),
      ),
    message: /listener traffic-https does not wait for a smoke test of blue, the color under test/,
  },
  {
    policy: "edge-smoke-tested-weight",
    stack: "staging",
    what: "weight on a color that is neither live nor under test",
    make: (p) => mutate(p, T.listener, "traffic-https", (x) => (x.tags["rollout/under-test"] = "blue")),
    message:
      /sends 10% to green, which is neither the live color \(blue\) nor the smoke-tested color under test \(blue\)/,
  },
  {
    policy: "edge-smoke-tested-weight",
    stack: "prod",
    what: "a listener that does not say what its weights mean",
    make: (p) => mutate(p, T.listener, "traffic-https", (x) => delete x.tags["rollout/live"]),
    message: /does not state which color is live and which is under test/,
  },
  {
    policy: "edge-smoke-path-connects",
    stack: "staging",
    what: "API pods do not admit the smoke pods",
    make: (p) => without(p, (r) => r.name === "ns-allow-smoke-to-api"),
    message:
      /smoke test \S+ cannot connect: no NetworkPolicy admits its pods to api-green-deployment's pods on TCP 8080 \(ingress\)/,
  },
  {
    policy: "edge-smoke-path-connects",
    stack: "prod",
    what: "smoke pods may not send to the API pods",
    make: (p) => without(p, (r) => r.name === "ns-allow-smoke-egress"),
    message: /cannot connect: no NetworkPolicy lets its pods send to api-blue-deployment's pods on TCP 8080 \(egress\)/,
  },
  {
    policy: "edge-smoke-path-connects",
    stack: "prod",
    what: "smoke pods cannot resolve the Service name",
    make: (p) =>
      mutate(p, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "ns-allow-egress", (x) => x.spec.egress.shift()),
    message: /cannot connect: no NetworkPolicy lets its pods resolve api-blue\.artifortress\.svc \(UDP 53/,
  },
  {
    policy: "edge-smoke-path-connects",
    stack: "staging",
    what: "smoke test URL on a port the Service does not have",
    make: (p) => {
      const job = smokeJob(p);
      return mutate(p, "kubernetes:batch/v1:Job", job.name, (x) => {
        const args = container(x).args as string[];
        args[args.indexOf("--url") + 1] = args[args.indexOf("--url") + 1].replace(/:\d+$/, ":9999");
      });
    },
    message: /Service api-green has no port 9999/,
  },
  {
    policy: "edge-smoke-path-connects",
    stack: "prod",
    what: "smoke test of one color against the other color's Service",
    make: (p) => {
      const job = smokeJob(p);
      return mutate(p, "kubernetes:batch/v1:Job", job.name, (x) => {
        const args = container(x).args as string[];
        args[args.indexOf("--url") + 1] = args[args.indexOf("--url") + 1].replace("api-blue.", "api-green.");
      });
    },
    message: /it tests blue, but Service api-green selects the pods of api-green-deployment/,
  },
  {
    policy: "edge-test-listener-restricted",
    stack: "prod",
    what: "test listener open to the internet",
    make: (p) =>
      mutate(
        p,
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
        "edge-in-test-0",
        (x) => (x.cidrIpv4 = "0.0.0.0/0"),
      ),
    message: /opens the test listener port 8443 to 0\.0\.0\.0\/0/,
  },
  {
    policy: "edge-test-listener-under-test",
    stack: "prod",
    what: "test listener on another color than the one under test",
    make: (p) => {
      const green = one(p, T.tg, "edge-tg-green");
      // As the program would: the ARN of the green group, and the property dependency on it.
      return mutate(p, T.listener, "edge-test", (x, r) => {
        x.defaultActions[0].targetGroupArn = (green.outputs as Props).arn;
        r.propertyDependencies.defaultActions = [green.urn];
      });
    },
    message: /test listener edge-test forwards to green, not to blue, the color under test/,
  },
  {
    policy: "edge-certificate-region",
    stack: "prod",
    what: "a certificate of another region (us-east-1, as CloudFront would need)",
    make: (p) =>
      mutate(
        p,
        T.listener,
        "traffic-https",
        (x) =>
          (x.certificateArn = "arn:aws:acm:us-east-1:123456789012:certificate/0b3c1d2e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"),
      ),
    message: /is in us-east-1, the load balancer in eu-central-1: ELB only uses ACM certificates of its own region/,
  },
  {
    policy: "edge-alb-hardening",
    stack: "prod",
    what: "invalid headers accepted",
    make: (p) => mutate(p, "aws:lb/loadBalancer:LoadBalancer", "edge-alb", (x) => (x.dropInvalidHeaderFields = false)),
    message: /dropInvalidHeaderFields is not true/,
  },
  // workloads
  {
    policy: "workloads-probes",
    stack: "prod",
    what: "no readiness probe",
    make: (p) => mutate(p, T.deployment, "api-blue-deployment", (x) => delete container(x).readinessProbe),
    message: /container api: no readinessProbe/,
  },
  {
    policy: "workloads-resources",
    stack: "prod",
    what: "no limits",
    make: (p) => mutate(p, T.deployment, "worker-deployment", (x) => delete container(x).resources.limits),
    message: /container worker: missing resources limits\.cpu, limits\.memory/,
  },
  {
    policy: "workloads-non-root",
    stack: "prod",
    what: "root container",
    make: (p) =>
      mutate(p, T.deployment, "api-green-deployment", (x) => {
        container(x).securityContext.runAsNonRoot = false;
        x.spec.template.spec.securityContext.runAsNonRoot = false;
      }),
    message: /container api: runAsNonRoot is not true/,
  },
  {
    policy: "workloads-read-only-root-fs",
    stack: "prod",
    what: "writable root fs",
    make: (p) =>
      mutate(p, "kubernetes:batch/v1:Job", JOB, (x) => (container(x).securityContext.readOnlyRootFilesystem = false)),
    message: /container migrate: readOnlyRootFilesystem is not true/,
  },
  {
    policy: "workloads-no-privilege-escalation",
    stack: "prod",
    what: "privilege escalation",
    make: (p) =>
      mutate(
        p,
        T.deployment,
        "worker-deployment",
        (x) => (container(x).securityContext.allowPrivilegeEscalation = true),
      ),
    message: /container worker: allowPrivilegeEscalation is not false/,
  },
  {
    policy: "workloads-drop-capabilities",
    stack: "prod",
    what: "capabilities kept",
    make: (p) =>
      mutate(
        p,
        T.deployment,
        "api-blue-deployment",
        (x) => (container(x).securityContext.capabilities = { drop: [], add: ["NET_ADMIN"] }),
      ),
    message: /capabilities\.drop does not include ALL/,
  },
  {
    policy: "workloads-immutable-image",
    stack: "prod",
    what: "latest tag",
    make: (p) =>
      mutate(
        p,
        T.deployment,
        "api-green-deployment",
        (x) => (container(x).image = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/artifortress/api:latest"),
      ),
    message: /image .*api:latest is not an immutable image reference/,
  },
  {
    policy: "workloads-min-replicas",
    stack: "staging",
    what: "a single API replica",
    make: (p) => mutate(p, T.deployment, "api-blue-deployment", (x) => (x.spec.replicas = 1)),
    message: /Deployment api-blue runs 1 replica\(s\); at least 2 needed/,
  },
  {
    policy: "workloads-pdb",
    stack: "prod",
    what: "a PDB that blocks drains",
    make: (p) =>
      mutate(p, "kubernetes:policy/v1:PodDisruptionBudget", "api-blue-pdb", (x) => (x.spec.maxUnavailable = 0)),
    message: /PodDisruptionBudget api-blue allows no disruption/,
  },
  {
    policy: "workloads-zero-downtime",
    stack: "prod",
    what: "maxUnavailable 1",
    make: (p) =>
      mutate(p, T.deployment, "api-green-deployment", (x) => (x.spec.strategy.rollingUpdate.maxUnavailable = 1)),
    message: /rollingUpdate\.maxUnavailable is 1, not 0/,
  },
  // secrets
  {
    policy: "secrets-no-plaintext",
    stack: "prod",
    what: "a literal token in env",
    make: (p) =>
      mutate(p, T.deployment, "api-blue-deployment", (x) =>
        container(x).env.push({ name: "Auth__BootstrapToken", value: "s3cr3t-literal" }),
      ),
    message: /env Auth__BootstrapToken: a literal value for a secret-named key/,
  },
  {
    policy: "secrets-no-plaintext",
    stack: "prod",
    what: "a connection string with a password",
    make: (p) =>
      mutate(p, T.deployment, "worker-deployment", (x) =>
        container(x).env.push({ name: "ConnectionStrings__Postgres", value: "Host=db;Password=hunter2" }),
      ),
    message: /a connection string with a password/,
  },
  {
    policy: "secrets-no-plaintext",
    stack: "prod",
    what: "a Pulumi secret written into env",
    make: (p) =>
      mutate(p, T.deployment, "api-green-deployment", (x) =>
        container(x).env.push({ name: "Auth__Oidc__Hs256SharedSecret", value: "[secret]" }),
      ),
    message: /a Pulumi secret written into the manifest in clear/,
  },
  {
    policy: "secrets-manager-cmk",
    item: "secret-recovery",
    stack: "prod",
    what: "secret deleted without recovery",
    make: (p) => mutate(p, "aws:secretsmanager/secret:Secret", "secrets-app", (x) => (x.recoveryWindowInDays = 0)),
    message: /recoveryWindowInDays is 0; at least 30/,
  },
  {
    policy: "secrets-manager-cmk",
    item: "cmk-encryption",
    stack: "prod",
    what: "a secret on the AWS-managed key",
    make: (p) => mutate(p, "aws:secretsmanager/secret:Secret", "secrets-app", (x) => delete x.kmsKeyId),
    message: /kmsKeyId is not set: the secret uses the AWS-managed key/,
  },
  {
    policy: "secrets-kms-rotation",
    stack: "prod",
    what: "key without rotation",
    make: (p) => mutate(p, "aws:kms/key:Key", "db-cmk-key", (x) => (x.enableKeyRotation = false)),
    message: /enableKeyRotation is not true/,
  },
  {
    policy: "secrets-db-least-privilege",
    stack: "prod",
    what: "the API mounting the RDS master credentials",
    make: (p) =>
      mutate(p, T.deployment, "api-green-deployment", (x) =>
        container(x).envFrom.push({ secretRef: { name: "artifortress-db-admin" } }),
      ),
    message:
      /api-green-deployment reads Secret artifortress-db-admin \(ExternalSecret secrets-db-admin-external\), the RDS master user's credentials: RDS rotates that password every 7 days/,
  },
  {
    policy: "secrets-db-least-privilege",
    stack: "staging",
    what: "the worker reading the master password through a secretKeyRef",
    make: (p) =>
      mutate(p, T.deployment, "worker-deployment", (x) =>
        container(x).env.push({
          name: "PGPASSWORD",
          valueFrom: { secretKeyRef: { name: "artifortress-db-admin", key: "PGPASSWORD" } },
        }),
      ),
    message: /worker-deployment reads Secret artifortress-db-admin/,
  },
  // observability
  {
    policy: "observability-target-group-alarms",
    stack: "prod",
    what: "no p95 alarm on green",
    make: (p) => without(p, (r) => r.name === "alarms-green-p95"),
    message: /target group edge-tg-green has no p95 latency alarm/,
  },
  {
    policy: "observability-alarm-actions",
    stack: "prod",
    what: "alarm without action",
    make: (p) => mutate(p, T.alarm, "alarms-db-cpu", (x) => (x.alarmActions = [])),
    message: /no alarmActions: the alarm notifies nobody/,
  },
  {
    policy: "observability-database-alarms",
    stack: "prod",
    what: "no free-storage alarm",
    make: (p) => without(p, (r) => r.name === "alarms-db-free-storage"),
    message: /database artifortress-prod has no FreeStorageSpace alarm/,
  },
  {
    policy: "observability-topic-encrypted",
    stack: "prod",
    what: "AWS-managed SNS key",
    make: (p) => mutate(p, "aws:sns/topic:Topic", "alerts-topic", (x) => (x.kmsMasterKeyId = "alias/aws/sns")),
    message: /alias\/aws\/sns: CloudWatch alarm notifications would be dropped/,
  },
  // release (stack config is the fixture's for the others below)
  {
    policy: "release-image-commit",
    stack: "prod",
    what: "color under test not built from the release commit",
    make: (p) =>
      mutate(
        p,
        T.deployment,
        "api-blue-deployment",
        (x) => (container(x).image = container(x).image.replace("sha-1a2b3c4", "sha-9999999")),
      ),
    message: /the API color under test \(blue\) does not run an image built from the release commit 1a2b3c4/,
  },
  {
    policy: "release-image-commit",
    stack: "prod",
    what: "migration Job running another build",
    make: (p) =>
      mutate(
        p,
        "kubernetes:batch/v1:Job",
        JOB,
        (x) => (container(x).image = container(x).image.replace("sha-1a2b3c4", "sha-9999999")),
      ),
    message: /migration Job migrate-1-4-0-1a2b3c4 runs \S+sha-9999999, not the release commit 1a2b3c4/,
  },
  {
    policy: "release-metadata",
    stack: "prod",
    what: "migration Job without its release labels",
    make: (p) => mutate(p, "kubernetes:batch/v1:Job", JOB, (x) => delete x.metadata.labels["rollout/commit"]),
    message: /migration Job migrate-1-4-0-1a2b3c4 does not name its release \(rollout\/commit\)/,
  },
];
