import * as assert from "node:assert/strict";
import { credentialGeneration } from "../../components/names";
import { diffPlans } from "../../gate/diff";
import { secretPlaceholder } from "../../gate/stackfiles";
import { dependsTransitively, ofType, one, plan, STACKS, validConfig } from "../support/stacks";

// biome-ignore lint/suspicious/noExplicitAny: captured inputs are untyped JSON
type Inputs = Record<string, any>;

function keyUrn(p: Awaited<ReturnType<typeof plan>>, keyName: string): string {
  // Property dependencies name the URN of the key whose ARN flowed into the property.
  const key = one(p, "aws:kms/key:Key", keyName);
  return key.urn;
}

describe("data protection components", () => {
  for (const stack of STACKS) {
    describe(`${stack} stack`, () => {
      const cfg = validConfig(stack);
      const prod = stack === "prod";

      it("database: private, CMK-encrypted, PITR from config, final snapshot, backups kept, SSL forced", async () => {
        const p = await plan(stack);
        const db = one(p, "aws:rds/instance:Instance", "db-instance");
        const i = db.inputs as Inputs;
        assert.equal(i.backupRetentionPeriod, cfg.database.pitrRetentionDays);
        assert.ok(i.backupRetentionPeriod >= (prod ? 14 : 1));
        assert.equal(i.multiAz, prod);
        assert.equal(i.deletionProtection, true);
        assert.equal(db.options.protect, prod, "prod database is protected from pulumi destroy");
        assert.equal(i.skipFinalSnapshot, false);
        // Unique per instance lifetime: a second delete of a re-created instance never collides.
        assert.match(i.finalSnapshotIdentifier as string, new RegExp(`^artifortress-${stack}-final-[0-9a-z]{6}$`));
        assert.equal(i.deleteAutomatedBackups, false);
        assert.equal(i.copyTagsToSnapshot, true);
        assert.equal(i.publiclyAccessible, false);
        assert.equal(i.storageEncrypted, true);
        assert.equal(i.manageMasterUserPassword, true);
        assert.equal(i.password, undefined, "no password in the program: RDS manages it");
        assert.equal(i.iamDatabaseAuthenticationEnabled, true);
        assert.equal(i.performanceInsightsEnabled, true);
        assert.deepEqual(i.enabledCloudwatchLogsExports, ["postgresql", "upgrade"]);
        const cmk = keyUrn(p, "db-cmk-key");
        for (const prop of ["kmsKeyId", "performanceInsightsKmsKeyId", "masterUserSecretKmsKeyId"])
          assert.deepEqual(db.propertyDependencies[prop], [cmk], `${prop} comes from the database CMK`);
        const params = one(p, "aws:rds/parameterGroup:ParameterGroup", "db-params").inputs as Inputs;
        assert.ok(params.parameters.some((x: Inputs) => x.name === "rds.force_ssl" && x.value === "1"));
        assert.equal(params.family, "postgres16");
        const rule = one(p, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "db-ingress-cluster")
          .inputs as Inputs;
        assert.equal(rule.referencedSecurityGroupId, cfg.network.clusterSecurityGroupId);
        assert.equal(rule.cidrIpv4, undefined, "database ingress is never from a CIDR");
      });

      it("every KMS key rotates and has a deletion window of at least 7 days", async () => {
        const keys = ofType(await plan(stack), "aws:kms/key:Key");
        assert.ok(keys.length >= 4);
        for (const k of keys) {
          assert.equal(k.inputs.enableKeyRotation, true, k.name);
          assert.ok((k.inputs.deletionWindowInDays as number) >= 7, k.name);
        }
      });

      it("AWS Backup: CMK vault, rotated snapshots without continuous backup, DB selected, restore testing", async () => {
        const p = await plan(stack);
        const vault = one(p, "aws:backup/vault:Vault", "backups-vault");
        assert.deepEqual(vault.propertyDependencies.kmsKeyArn, [keyUrn(p, "backups-cmk-key")]);
        const rules = one(p, "aws:backup/plan:Plan", "backups-plan").inputs.rules as Inputs[];
        assert.deepEqual(
          rules.map((r) => r.ruleName),
          prod ? ["daily", "weekly", "monthly"] : ["daily"],
        );
        assert.equal(rules[0].lifecycle.deleteAfter, cfg.backups.dailyRetentionDays);
        for (const r of rules)
          assert.equal(r.enableContinuousBackup, false, "RDS owns PITR; continuous backup would fight it");
        const selection = one(p, "aws:backup/selection:Selection", "backups-selection");
        assert.deepEqual(selection.propertyDependencies.resources, [
          one(p, "aws:rds/instance:Instance", "db-instance").urn,
        ]);
        const rts = one(p, "aws:backup/restoreTestingSelection:RestoreTestingSelection", "backups-restore-test-db")
          .inputs as Inputs;
        assert.equal(rts.protectedResourceType, "RDS");
        one(p, "aws:backup/restoreTestingPlan:RestoreTestingPlan", "backups-restore-test");
      });

      it(
        prod
          ? "prod: cross-region copy of every rule and a vault lock"
          : "staging: no cross-region copy and no vault lock",
        async () => {
          const p = await plan(stack);
          const rules = one(p, "aws:backup/plan:Plan", "backups-plan").inputs.rules as Inputs[];
          const dr = p.resources.find((r) => r.name === "backups-dr-vault");
          const locks = ofType(p, "aws:backup/vaultLockConfiguration:VaultLockConfiguration");
          const lock = locks.find((r) => r.name === "backups-lock");
          const drLock = locks.find((r) => r.name === "backups-dr-lock");
          if (prod) {
            assert.ok(dr);
            assert.equal(dr.inputs.region, cfg.backups.crossRegionCopy?.region);
            for (const r of rules) {
              assert.equal(r.copyActions.length, 1, `rule ${r.ruleName} copies cross-region`);
              assert.match(r.copyActions[0].destinationVaultArn, /backups-dr-vault|dr-vault/);
            }
            assert.ok(lock);
            assert.equal(lock.inputs.minRetentionDays, cfg.backups.vaultLock?.minRetentionDays);
            assert.ok(drLock, "the DR copy vault is locked too");
            assert.equal(drLock.inputs.region, cfg.backups.crossRegionCopy?.region);
            assert.equal(drLock.inputs.minRetentionDays, cfg.backups.vaultLock?.minRetentionDays);
            assert.equal(
              one(p, "aws:kms/key:Key", "backups-dr-cmk-key").inputs.region,
              cfg.backups.crossRegionCopy?.region,
            );
          } else {
            assert.equal(dr, undefined);
            assert.equal(lock, undefined);
            for (const r of rules) assert.deepEqual(r.copyActions, []);
          }
        },
      );

      it("object storage: versioned, SSE-KMS with bucket key, four public access blocks, TLS only, IRSA role", async () => {
        const p = await plan(stack);
        const block = one(p, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "objects-public-access").inputs;
        for (const k of ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"])
          assert.equal(block[k], true, k);
        assert.equal(
          (one(p, "aws:s3/bucketVersioning:BucketVersioning", "objects-versioning").inputs as Inputs)
            .versioningConfiguration.status,
          "Enabled",
        );
        const sse = one(
          p,
          "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
          "objects-sse",
        );
        const rule = (sse.inputs as Inputs).rules[0];
        assert.equal(rule.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
        assert.equal(rule.bucketKeyEnabled, true);
        assert.deepEqual(sse.propertyDependencies.rules, [keyUrn(p, "objects-cmk-key")]);
        const policy = JSON.parse(
          one(p, "aws:s3/bucketPolicy:BucketPolicy", "objects-tls-only").inputs.policy as string,
        );
        assert.deepEqual(policy.Statement[0].Condition, { Bool: { "aws:SecureTransport": "false" } });
        assert.equal(policy.Statement[0].Effect, "Deny");
        const lifecycle = (
          one(p, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", "objects-lifecycle")
            .inputs as Inputs
        ).rules[0];
        assert.equal(
          lifecycle.noncurrentVersionExpiration.noncurrentDays,
          cfg.objectStorage.noncurrentVersionExpirationDays,
        );
        const trust = JSON.parse(one(p, "aws:iam/role:Role", "objects-access").inputs.assumeRolePolicy as string);
        assert.deepEqual(trust.Statement[0].Condition.StringEquals[`${cfg.cluster.oidcIssuer}:sub`], [
          "system:serviceaccount:artifortress:api",
        ]);
        // The worker has its own role: the same object access, and PutMetricData only into its namespace.
        const workerTrust = JSON.parse(
          one(p, "aws:iam/role:Role", "worker-identity-role").inputs.assumeRolePolicy as string,
        );
        assert.deepEqual(workerTrust.Statement[0].Condition.StringEquals[`${cfg.cluster.oidcIssuer}:sub`], [
          "system:serviceaccount:artifortress:worker",
        ]);
        const workerPolicy = JSON.parse(
          one(p, "aws:iam/rolePolicy:RolePolicy", "worker-identity-policy").inputs.policy as string,
        );
        const metrics = workerPolicy.Statement.find((st: { Sid: string }) => st.Sid === "Metrics");
        assert.deepEqual(metrics, {
          Sid: "Metrics",
          Effect: "Allow",
          Action: ["cloudwatch:PutMetricData"],
          Resource: "*",
          Condition: { StringEquals: { "cloudwatch:namespace": cfg.alarms.workerMetrics.namespace } },
        });
        assert.deepEqual(
          workerPolicy.Statement.filter((st: { Sid: string }) => st.Sid !== "Metrics").map(
            (st: { Sid: string }) => st.Sid,
          ),
          ["List", "Objects", "Key"],
        );
        const workerSa = one(p, "kubernetes:core/v1:ServiceAccount", "ns-sa-worker");
        assert.ok(
          workerSa.propertyDependencies.metadata.includes(one(p, "aws:iam/role:Role", "worker-identity-role").urn),
          "the worker's service account names the worker role",
        );
        const sa = one(p, "kubernetes:core/v1:ServiceAccount", "ns-sa-api").inputs as Inputs;
        assert.ok(
          sa.metadata.annotations["eks.amazonaws.com/role-arn"].includes("objects-access"),
          "api pods use the IRSA role, not static keys",
        );
        assert.equal(one(p, "aws:s3/bucket:Bucket", "objects-bucket").options.protect, prod);
        assert.ok(
          !JSON.stringify(p.resources).match(/AccessKey|SecretKey|aws:iam\/accessKey/),
          "no static S3 keys anywhere",
        );
      });

      it("secrets: Secrets Manager with CMK and recovery window, delivered by ExternalSecrets", async () => {
        const p = await plan(stack);
        const secret = one(p, "aws:secretsmanager/secret:Secret", "secrets-app");
        assert.equal(secret.inputs.recoveryWindowInDays, prod ? 30 : 7);
        assert.deepEqual(secret.propertyDependencies.kmsKeyId, [keyUrn(p, "secrets-cmk-key")]);
        assert.equal(
          one(p, "aws:secretsmanager/secretVersion:SecretVersion", "secrets-app-version").inputs.secretString,
          "[secret]",
        );
        const externals = ofType(p, "kubernetes:external-secrets.io/v1:ExternalSecret");
        const gen = credentialGeneration(cfg.secretRotation);
        assert.deepEqual(externals.map((e) => (e.inputs as Inputs).metadata.name).sort(), [
          "artifortress-app-secrets",
          `artifortress-db-${gen}`,
          "artifortress-db-admin",
          `artifortress-db-users-${gen}`,
        ]);
        // dependsOn a custom resource orders the create only: the up waits for ESO's Ready condition.
        for (const e of externals)
          assert.equal((e.inputs as Inputs).metadata.annotations["pulumi.com/waitFor"], "condition=Ready");
        const db = externals.find((e) => (e.inputs as Inputs).metadata.name === `artifortress-db-${gen}`)!;
        assert.match(
          (db.inputs as Inputs).spec.target.template.data.ConnectionStrings__Postgres,
          /Username=\{\{ \.APP_RW_USER \}\};Password="\{\{ \.APP_RW_PASSWORD \}\}";SSL Mode=VerifyFull;Root Certificate=\/rds-ca\/global-bundle\.pem$/,
        );
        // Each ExternalSecret of a generated secret reads the version this up wrote, not whatever is current.
        for (const [es, version] of [
          [`artifortress-db-${gen}`, "secrets-db-users-version"],
          [`artifortress-db-users-${gen}`, "secrets-db-users-version"],
          ["artifortress-app-secrets", "secrets-app-version"],
        ]) {
          const e = externals.find((x) => (x.inputs as Inputs).metadata.name === es)!;
          const v = one(p, "aws:secretsmanager/secretVersion:SecretVersion", version);
          assert.equal(
            (e.inputs as Inputs).spec.dataFrom[0].extract.version,
            `uuid/${(v.outputs as Inputs).versionId}`,
            es,
          );
          assert.ok(e.dependencies.includes(v.urn), `${es} waits for ${version}`);
        }
        for (const password of ofType(p, "random:index/randomPassword:RandomPassword"))
          assert.deepEqual(password.inputs.keepers, { rotation: cfg.secretRotation }, password.name);
      });

      it("database credentials: pods connect as this generation's least-privilege user, the master reaches only the Jobs", async () => {
        const p = await plan(stack);
        const gen = credentialGeneration(cfg.secretRotation);
        const secretsOf = (pod: Inputs) =>
          pod.containers.flatMap((c: Inputs) => [
            ...(c.envFrom ?? []).map((e: Inputs) => e.secretRef.name),
            ...(c.env ?? []).flatMap((e: Inputs) => (e.valueFrom?.secretKeyRef ? [e.valueFrom.secretKeyRef.name] : [])),
          ]);
        const usersJob = ofType(p, "kubernetes:batch/v1:Job").find((j) => j.name.startsWith("db-users"))!;
        for (const d of ofType(p, "kubernetes:apps/v1:Deployment")) {
          const names = secretsOf((d.inputs as Inputs).spec.template.spec);
          assert.deepEqual(names.sort(), ["artifortress-app-secrets", `artifortress-db-${gen}`], d.name);
          // Pods start only once their users exist (and roll onto a new generation's Secret with it).
          assert.ok(d.dependencies.includes(usersJob.urn), `${d.name} waits for the db-users Job`);
        }
        // VerifyFull needs the CA bundle: every pod that reads a connection string mounts it from the init container.
        for (const w of [...ofType(p, "kubernetes:apps/v1:Deployment"), ...ofType(p, "kubernetes:batch/v1:Job")]) {
          const pod = (w.inputs as Inputs).spec.template.spec;
          if (!secretsOf(pod).some((n: string) => /^artifortress-db-(admin|[0-9a-f]{8})$/.test(n))) continue;
          // The runner image's own Jobs (db-users) carry the bundle in the image (/etc/rds-ca).
          if (pod.containers.every((c: Inputs) => c.image === cfg.smoke.image)) continue;
          const init = (pod.initContainers ?? []).find((c: Inputs) => c.name === "rds-ca");
          assert.deepEqual(init?.command, ["cp", "/etc/rds-ca/global-bundle.pem", "/rds-ca/global-bundle.pem"], w.name);
          assert.equal(init.image, cfg.smoke.image, `${w.name}: the bundle comes from the runner image`);
          for (const c of pod.containers)
            assert.ok(
              c.volumeMounts.some((m: Inputs) => m.mountPath === "/rds-ca" && m.readOnly),
              `${w.name}/${c.name} mounts the bundle read-only`,
            );
        }
        const migration = ofType(p, "kubernetes:batch/v1:Job").find((j) => j.name.startsWith("migration"))!;
        assert.ok(secretsOf((migration.inputs as Inputs).spec.template.spec).includes("artifortress-db-admin"));
        const job = usersJob.inputs as Inputs;
        assert.equal(job.metadata.name, `db-users-${gen}-artifortress-${stack}`);
        assert.equal(job.metadata.annotations["pulumi.com/replaceUnready"], "true");
        const c = job.spec.template.spec.containers[0];
        assert.deepEqual(c.command, ["app-db-users"]);
        assert.equal(c.args, undefined, "nothing on the command line");
        assert.deepEqual(secretsOf(job.spec.template.spec).sort(), [
          "artifortress-db-admin",
          "artifortress-db-admin",
          `artifortress-db-users-${gen}`,
          `artifortress-db-users-${gen}`,
          `artifortress-db-users-${gen}`,
          `artifortress-db-users-${gen}`,
        ]);
        assert.equal(job.spec.template.spec.automountServiceAccountToken, false);
      });

      it("integrity checks: baseline after the snapshot, migration, checks, then the color under test", async () => {
        const p = await plan(stack);
        const jobs = ofType(p, "kubernetes:batch/v1:Job");
        const job = (prefix: string) => jobs.find((j) => j.name.startsWith(prefix))!;
        const [baseline, migration, verify] = [job("integrity-baseline-"), job("migration-"), job("integrity-verify-")];
        const snapshot = ofType(p, "aws:rds/snapshot:Snapshot")[0];
        assert.ok(baseline.dependencies.includes(snapshot.urn), "baseline after the pre-release snapshot");
        assert.ok(migration.dependencies.includes(baseline.urn), "migration after the baseline");
        assert.ok(verify.dependencies.includes(migration.urn), "checks after the migration");
        // The color under test is the one the smoke test checks.
        const smoke = job("smoke-test-");
        const underTest = ofType(p, "kubernetes:apps/v1:Deployment").find((d) => smoke.dependencies.includes(d.urn))!;
        assert.ok(underTest.dependencies.includes(verify.urn), `${underTest.name} waits for the checks`);
        const env = (j: typeof verify) =>
          Object.fromEntries(
            ((j.inputs as Inputs).spec.template.spec.containers[0].env as Inputs[]).map((e) => [
              e.name,
              e.value ?? `secret:${e.valueFrom.secretKeyRef.name}/${e.valueFrom.secretKeyRef.key}`,
            ]),
          );
        const v = env(verify);
        assert.equal(v.INTEGRITY_PHASE, "verify");
        assert.deepEqual(JSON.parse(v.INTEGRITY_CHECKS), cfg.database.integrityChecks);
        const gen = credentialGeneration(cfg.secretRotation);
        assert.equal(
          v.PGUSER,
          `secret:artifortress-db-users-${gen}/APP_RO_USER`,
          "the read-only user, never the master",
        );
        assert.equal(v.PGPASSWORD, `secret:artifortress-db-users-${gen}/APP_RO_PASSWORD`);
        assert.equal(env(baseline).RELEASE_ID, v.RELEASE_ID, "the baseline and the checks agree on the release");
        assert.equal((verify.inputs as Inputs).spec.backoffLimit, 0, "a failed check is not retried away");
      });

      it(`cross-region PITR: ${prod ? "automated backups replicated to the DR region with a CMK there" : "none in staging"}`, async () => {
        const p = await plan(stack);
        const reps = ofType(p, "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication");
        if (!prod) return assert.equal(reps.length, 0);
        assert.equal(reps.length, 1);
        const r = reps[0].inputs as Inputs;
        const dr = cfg.backups.crossRegionCopy!.region;
        assert.equal(r.region, dr);
        assert.equal(r.retentionPeriod, cfg.database.pitrRetentionDays, "the same PITR window in the DR region");
        assert.equal(r.sourceDbInstanceArn, (one(p, "aws:rds/instance:Instance", "db-instance").outputs as Inputs).arn);
        const key = one(p, "aws:kms/key:Key", "db-dr-cmk-key");
        assert.equal((key.inputs as Inputs).region, dr, "the key lives in the DR region");
        assert.deepEqual(reps[0].propertyDependencies.kmsKeyId, [key.urn]);
      });

      it("a restore: the checks run against the restored instance (no baseline checks there)", async () => {
        const p = await plan(stack, { database: { restore: { name: "incident-42" } } });
        const job = ofType(p, "kubernetes:batch/v1:Job").find((j) => j.name.startsWith("integrity-restore-"))!;
        const restored = one(p, "aws:rds/instance:Instance", "db-restore-incident-42");
        assert.ok(job.dependencies.includes(restored.urn));
        const env = (job.inputs as Inputs).spec.template.spec.containers[0].env as Inputs[];
        assert.equal(env.find((e) => e.name === "INTEGRITY_PHASE")?.value, "restore");
        assert.equal(env.find((e) => e.name === "PGHOST")?.value, (restored.outputs as Inputs).address);
        assert.match((job.inputs as Inputs).metadata.name, /^integrity-restore-.*incident-42$/);
      });

      it("a new rotation key is a new users generation: new Secret, new Job, the Deployments roll onto it", async () => {
        const before = await plan(stack);
        const after = await plan(stack, { secretRotation: "2099-01" });
        const gen = credentialGeneration("2099-01");
        assert.notEqual(gen, credentialGeneration(cfg.secretRotation));
        const jobs = (q: typeof before) =>
          ofType(q, "kubernetes:batch/v1:Job")
            .map((j) => (j.inputs as Inputs).metadata.name)
            .filter((n: string) => n.startsWith("db-users"));
        assert.deepEqual(jobs(after), [`db-users-${gen}-artifortress-${stack}`]);
        assert.notDeepEqual(jobs(after), jobs(before));
        const api = one(after, "kubernetes:apps/v1:Deployment", "api-blue-deployment").inputs as Inputs;
        assert.ok(
          api.spec.template.spec.containers[0].envFrom.some(
            (e: Inputs) => e.secretRef.name === `artifortress-db-${gen}`,
          ),
        );
      });
    });
  }

  it("AWS Backup schedules stay clear of the RDS backup and maintenance windows (and the plan uses them)", async () => {
    const { BACKUP_SCHEDULES, windowConflicts, rdsMaintenanceWindow, rdsBackupWindow } = await import(
      "../../components/windows"
    );
    assert.deepEqual(windowConflicts(), []);
    // The schedule this project had: daily at 03:00 and weekly Sunday 04:00, against maintenance sun 03:30-04:30.
    assert.deepEqual(
      windowConflicts({
        backup: { start: "02:00", end: "03:00" },
        maintenance: { start: "03:30", end: "04:30" },
        schedules: { daily: { hour: 3, startWindowMinutes: 60 }, weekly: { hour: 4, startWindowMinutes: 60 } },
      }),
      [
        "AWS Backup daily may start within an hour before or during the RDS maintenance window",
        "AWS Backup weekly may start within an hour before or during the RDS maintenance window",
      ],
    );
    const p = await plan("prod");
    const rules = (one(p, "aws:backup/plan:Plan", "backups-plan").inputs as Inputs).rules as Inputs[];
    assert.deepEqual(
      rules.map((r) => `${r.ruleName} ${r.schedule} ${r.startWindow}`),
      Object.entries(BACKUP_SCHEDULES)
        .filter(([n]) => rules.some((r) => r.ruleName === n))
        .map(([n, x]) => `${n} ${x.cron} ${x.startWindowMinutes}`),
    );
    const db = one(p, "aws:rds/instance:Instance", "db-instance").inputs as Inputs;
    assert.equal(db.maintenanceWindow, rdsMaintenanceWindow());
    assert.equal(db.backupWindow, rdsBackupWindow());
  });

  it("no secret config value appears in clear in any captured input", async () => {
    const p = await plan("prod", { oidcHs256SharedSecret: { secure: "v1:abc" }, kubeconfig: { secure: "v1:def" } });
    const text = JSON.stringify(p);
    for (const key of ["app:oidcHs256SharedSecret", "app:kubeconfig"])
      assert.ok(!text.includes(secretPlaceholder(key)), `${key} leaked into the plan`);
    const provider = p.resources.find((r) => r.type === "pulumi:providers:kubernetes")!;
    assert.equal(provider.inputs.kubeconfig, "[secret]");
    for (const r of p.resources) {
      if (r.type === "kubernetes:core/v1:ConfigMap")
        assert.ok(!JSON.stringify(r.inputs).includes("mock-"), "generated secret in a ConfigMap");
    }
    assert.ok(!text.includes("mock-"), "a generated (random) secret value appears in clear");
  });

  it("a restore config creates a restored instance from the live one at the given time", async () => {
    const p = await plan("prod", {
      database: { restore: { name: "incident-42", restoreTime: "2026-11-24T09:55:00Z" } },
    });
    const restored = one(p, "aws:rds/instance:Instance", "db-restore-incident-42");
    const live = one(p, "aws:rds/instance:Instance", "db-instance");
    const r = restored.inputs as Inputs;
    assert.deepEqual(r.restoreToPointInTime, {
      sourceDbInstanceIdentifier: "artifortress-prod",
      restoreTime: "2026-11-24T09:55:00Z",
    });
    assert.deepEqual(restored.propertyDependencies.restoreToPointInTime, [live.urn]);
    assert.equal(r.identifier, "artifortress-prod-incident-42");
    assert.equal(r.storageEncrypted, true);
    assert.equal(r.publiclyAccessible, false);
    assert.equal(r.skipFinalSnapshot, false);
    const latest = await plan("staging", { database: { restore: { name: "latest" } } });
    assert.deepEqual(
      (one(latest, "aws:rds/instance:Instance", "db-restore-latest").inputs as Inputs).restoreToPointInTime,
      {
        sourceDbInstanceIdentifier: "artifortress-staging",
        useLatestRestorableTime: true,
      },
    );
  });

  it("a retry of the same version from another build takes a new snapshot and migrates again", async () => {
    const before = await plan("prod");
    // 1.4.0 rebuilt from 5d6e7f8 (the green image): a new release id, so a new snapshot and Job.
    const retry = await plan("prod", { release: { commit: "5d6e7f8" } });
    const d = diffPlans(before, retry);
    assert.deepEqual(d.added.map((r) => r.name).sort(), [
      "integrity-baseline-1-4-0-5d6e7f8",
      "integrity-verify-1-4-0-5d6e7f8",
      "migration-1-4-0-5d6e7f8",
      "release-snapshot-1-4-0-5d6e7f8",
      "smoke-test-1-4-0-5d6e7f8",
    ]);
    assert.equal(
      one(retry, "aws:rds/snapshot:Snapshot", "release-snapshot-1-4-0-5d6e7f8").inputs.dbSnapshotIdentifier,
      "artifortress-prod-pre-1-4-0-5d6e7f8",
    );
  });

  it("the pre-release snapshot is named after the release id and only it changes with the version", async () => {
    const before = await plan("prod");
    const after = await plan("prod", { release: { version: "1.5.0" } });
    const snap = one(before, "aws:rds/snapshot:Snapshot", "release-snapshot-1-4-0-1a2b3c4");
    assert.equal(snap.inputs.dbSnapshotIdentifier, "artifortress-prod-pre-1-4-0-1a2b3c4");
    assert.equal(snap.options.retainOnDelete, true, "a release's snapshot survives the next release");
    const d = diffPlans(before, after);
    const newSnapshot = one(after, "aws:rds/snapshot:Snapshot", "release-snapshot-1-5-0-1a2b3c4");
    assert.deepEqual(d.removed.map((r) => r.name).sort(), [
      "integrity-baseline-1-4-0-1a2b3c4",
      "integrity-verify-1-4-0-1a2b3c4",
      "migration-1-4-0-1a2b3c4",
      "release-snapshot-1-4-0-1a2b3c4",
      "smoke-test-1-4-0-1a2b3c4",
    ]);
    assert.deepEqual(d.added.map((r) => r.name).sort(), [
      "integrity-baseline-1-5-0-1a2b3c4",
      "integrity-verify-1-5-0-1a2b3c4",
      "migration-1-5-0-1a2b3c4",
      "release-snapshot-1-5-0-1a2b3c4",
      "smoke-test-1-5-0-1a2b3c4",
    ]);
    const touched = [
      ...d.added.filter((r) => r !== newSnapshot),
      ...d.changed.map((c) => after.resources.find((r) => r.urn === c.urn)!),
    ];
    assert.ok(touched.length > 0);
    for (const r of touched)
      assert.ok(
        dependsTransitively(after, r, newSnapshot),
        `${r.name} changed but does not depend on the new snapshot`,
      );
  });
});

describe("restore cutover (docs/restore.md): the application's connection follows config, the original stays until a second change", () => {
  const RESTORE = { name: "incident-42", restoreTime: "2026-11-24T09:55:00Z" };
  const masterSecret = (r: { outputs?: unknown }) =>
    ((r.outputs as Inputs).masterUserSecrets as { secretArn: string }[])[0].secretArn;
  const jobEnv = (p: Awaited<ReturnType<typeof plan>>, prefix: string) => {
    const job = ofType(p, "kubernetes:batch/v1:Job").find((j) => (j.inputs as Inputs).metadata.name.startsWith(prefix));
    assert.ok(job, `a Job ${prefix}*`);
    return new Map(
      ((job.inputs as Inputs).spec.template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [
        e.name,
        e.value,
      ]),
    );
  };

  it("before the cutover: the application, its users Job and the checks use the original", async () => {
    const p = await plan("prod", { database: { restore: RESTORE } });
    const live = one(p, "aws:rds/instance:Instance", "db-instance");
    const restored = one(p, "aws:rds/instance:Instance", "db-restore-incident-42");
    assert.equal(jobEnv(p, "db-users-").get("PGHOST"), (live.outputs as Inputs).address);
    assert.equal(jobEnv(p, "integrity-verify-").get("PGHOST"), (live.outputs as Inputs).address);
    assert.equal((live.inputs as Inputs).tags["rollout/db-role"], "primary");
    assert.equal((restored.inputs as Inputs).tags["rollout/db-role"], "restored");
    assert.equal((restored.inputs as Inputs).manageMasterUserPassword, true, "its own managed master secret");
    assert.notEqual(masterSecret(restored), masterSecret(live));
  });

  it("cutover: connection strings, master secret, users Job, migration checks, snapshot, alarms and DR replication switch; the original is kept protected", async () => {
    const before = await plan("prod", { database: { restore: RESTORE } });
    const p = await plan("prod", { database: { restore: { ...RESTORE, cutover: true } } });
    const live = one(p, "aws:rds/instance:Instance", "db-instance");
    const restored = one(p, "aws:rds/instance:Instance", "db-restore-incident-42");
    const restoredAddress = (restored.outputs as Inputs).address;
    assert.equal(jobEnv(p, "db-users-").get("PGHOST"), restoredAddress);
    assert.equal(jobEnv(p, "integrity-verify-").get("PGHOST"), restoredAddress);
    assert.equal(jobEnv(p, "integrity-baseline-").get("PGHOST"), restoredAddress);
    const admin = ofType(p, "kubernetes:external-secrets.io/v1:ExternalSecret").find((e) =>
      (e.inputs as Inputs).metadata.name.endsWith("-db-admin"),
    )!;
    assert.ok(JSON.stringify(admin.inputs).includes(masterSecret(restored)), "admin secret = the restored instance's");
    assert.ok(!JSON.stringify(admin.inputs).includes(masterSecret(live)));
    // This release's snapshot was taken of the original and stays so (ignoreChanges: a move would take a
    // second one); the next release's is taken of the new primary.
    const snapshot = ofType(p, "aws:rds/snapshot:Snapshot")[0];
    assert.deepEqual(snapshot.options.ignoreChanges, ["dbInstanceIdentifier", "dbSnapshotIdentifier"]);
    const next = await plan("prod", {
      database: { restore: { ...RESTORE, cutover: true } },
      release: { version: "1.5.0" },
    });
    assert.equal(
      ofType(next, "aws:rds/snapshot:Snapshot")[0].inputs.dbSnapshotIdentifier,
      "artifortress-prod-incident-42-pre-1-5-0-1a2b3c4",
    );
    const selection = ofType(p, "aws:backup/restoreTestingSelection:RestoreTestingSelection")[0];
    assert.equal(selection.inputs.name, "database_incident_42", "renamed: replaced, so AWS tests the new primary");
    const replication = ofType(p, "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication")[0];
    assert.equal(replication.inputs.sourceDbInstanceArn, (restored.outputs as Inputs).arn);
    const cpu = ofType(p, "aws:cloudwatch/metricAlarm:MetricAlarm").filter(
      (a) => (a.inputs as Inputs).dimensions?.DBInstanceIdentifier,
    );
    assert.ok(cpu.length > 0);
    for (const a of cpu)
      assert.equal((a.inputs as Inputs).dimensions.DBInstanceIdentifier, "artifortress-prod-incident-42", a.name);
    assert.equal(live.options.protect, true, "the original stays protected");
    assert.deepEqual((live.inputs as Inputs).deletionProtection, true);
    assert.equal((live.inputs as Inputs).tags["rollout/db-role"], "superseded");
    assert.equal((restored.inputs as Inputs).tags["rollout/db-role"], "primary");
    // Nothing about the instances themselves is replaced: the cutover is a connection change.
    const d = diffPlans(before, p);
    assert.deepEqual(
      d.removed.filter((r) => r.type === "aws:rds/instance:Instance"),
      [],
    );
    const output = p.outputs as Inputs;
    assert.equal(output.databaseIdentifier, "artifortress-prod-incident-42");
  });

  it("after the cutover: retire then forget the original, each a separate change; the restored instance stays the primary", async () => {
    const retire = await plan("prod", { database: { restore: { ...RESTORE, cutover: true, original: "retire" } } });
    const live = one(retire, "aws:rds/instance:Instance", "db-instance");
    assert.equal(live.options.protect, false);
    assert.equal(live.options.retainOnDelete, true);
    assert.equal((live.inputs as Inputs).deletionProtection, true, "AWS still refuses a delete");
    assert.equal((live.inputs as Inputs).tags["rollout/restore-state"], "retiring");
    const forget = await plan("prod", { database: { restore: { ...RESTORE, cutover: true, original: "forget" } } });
    assert.ok(!forget.resources.some((r) => r.name === "db-instance"), "the original is no longer declared");
    const restored = one(forget, "aws:rds/instance:Instance", "db-restore-incident-42");
    assert.equal(restored.options.protect, true);
    assert.deepEqual(
      (restored.inputs as Inputs).restoreToPointInTime,
      (one(retire, "aws:rds/instance:Instance", "db-restore-incident-42").inputs as Inputs).restoreToPointInTime,
      "the restored instance's create-only inputs do not change: no replacement",
    );
  });
});
