// @readiness no-plaintext-secrets: generated secrets go to Secrets Manager and reach pods through External Secrets, never the plan
// @readiness secret-recovery: recovery window of at least the registry floor (rejected below it)
import { thresholdFloor, thresholdNumber } from "@app-rollout/shared";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Component } from "./component";
import { EncryptionKey } from "./encryption-key";
import { type ClusterOidc, irsaTrustPolicy } from "./irsa";
import { credentialGeneration } from "./names";
import { APP_LABEL } from "./namespace";
import { RDS_CA_FILE } from "./pod-spec";

export interface AppSecretsArgs {
  /** Secrets Manager name prefix, e.g. `artifortress/prod`. */
  namePrefix: string;
  /** Rotation key (config `secretRotation`): changing it regenerates every generated secret. */
  rotation: string;
  /** OIDC HS256 shared secret from secret config. @default none */
  oidcHs256SharedSecret?: pulumi.Output<string>;
  /** RDS-managed master user secret (username/password) and the key that encrypts it. */
  database: {
    secretArn: pulumi.Input<string>;
    kmsKeyArn: pulumi.Input<string>;
    address: pulumi.Input<string>;
    port: pulumi.Input<number>;
    dbName: string;
  };
  /** AWS region of the secrets (for the SecretStore). */
  region: pulumi.Input<string>;
  /** Namespace of the app, its provider, and the cluster's OIDC provider (IRSA of the secret reader). */
  namespace: pulumi.Input<string>;
  namespaceName: string;
  provider: k8s.Provider;
  oidc: ClusterOidc;
  /** Days a deleted secret can be recovered (7-30). @default 30 */
  recoveryWindowInDays?: number;
  /** ExternalSecret API version of the installed External Secrets Operator. @default "external-secrets.io/v1" */
  externalSecretsApiVersion?: string;
}

/**
 * The app's secrets, from generation to the pod, with no plaintext in any manifest:
 * - generated values (bootstrap token) come from `random`, keyed by the rotation key;
 * - they and the secret config (OIDC HS256 secret) are stored in Secrets Manager with a CMK and a
 *   recovery window;
 * - the database: the pods never connect as the master user (RDS rotates its password every 7 days and
 *   a pod reads its environment once). They connect as this generation's least-privilege user
 *   (`app_rw_<generation>`, dbusers/provision.ts), whose generated password is keyed by the rotation key
 *   and stored in Secrets Manager; a rotation creates the next generation beside the previous one. The
 *   master credentials reach only the migration and the db-users Jobs, read when they start;
 * - External Secrets Operator (a SecretStore authenticated through IRSA) materialises them as Kubernetes
 *   Secrets: `<app>-app-secrets` (Auth__* keys), `<app>-db-<generation>` (ConnectionStrings__Postgres of the
 *   app user: a new name per generation, so the Deployments roll onto it only once it is synced),
 *   `<app>-db-admin` (master) and `<app>-db-users-<generation>` (the users' passwords, for the db-users Job).
 */
/**
 * pulumi-kubernetes awaits nothing on a custom resource by default, so `dependsOn` an ExternalSecret would
 * only order the create: the pods could start before External Secrets Operator wrote the Secret they mount.
 * `pulumi.com/waitFor: condition=Ready` makes the up wait for ESO's Ready condition (the Secret was synced;
 * ESO sets it on every ExternalSecret), with a bound (pulumi-kubernetes generic await, `pulumi.com/waitFor`).
 */
const SYNCED = { "pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "300" };
// (The SecretStore reports Ready once it authenticated to Secrets Manager: the same annotation waits for it.)

export interface DatabaseUserNames {
  generation: string;
  readWrite: string;
  readOnly: string;
}

type Resolved = AppSecretsArgs & { recoveryWindowInDays: number; externalSecretsApiVersion: string };

function normalizeArgs(name: string, args: AppSecretsArgs): Resolved {
  const a = {
    recoveryWindowInDays: thresholdNumber("secret-recovery", "minimumRecoveryDays", "prod"),
    externalSecretsApiVersion: "external-secrets.io/v1",
    ...args,
  };
  // Readiness invariant after the spread (awsx): below the registry's floor a deleted secret is lost.
  const floor = thresholdFloor("secret-recovery", "minimumRecoveryDays");
  if (a.recoveryWindowInDays < floor)
    throw new Error(
      `${name}: recoveryWindowInDays must be >= ${floor} (0 deletes secrets immediately) [readiness: secret-recovery]`,
    );
  return a;
}

const STORE_NAME = "aws-secrets-manager";

/** How an ExternalSecret reads a secret: by name and pinned to the version this up wrote. */
interface SecretRef {
  key: pulumi.Output<string>;
  version: pulumi.Output<string>;
}

/**
 * Pins the version: without it, an ExternalSecret created in the same up as a new SecretVersion can read
 * the previous value (its create is not ordered after PutSecretValue) and keep it until its next refresh —
 * e.g. a rotation's db-users Job would re-set the old users and never create the new generation. With
 * `version: uuid/<VersionId>` (External Secrets AWS provider, secretsmanager.go: "uuid/" prefix selects
 * VersionId) the ExternalSecret depends on the SecretVersion and syncs exactly what this up wrote.
 */
function pinned(secret: aws.secretsmanager.Secret, version: aws.secretsmanager.SecretVersion) {
  return {
    arn: secret.arn,
    name: secret.name,
    ref: { key: secret.name, version: pulumi.interpolate`uuid/${version.versionId}` } as SecretRef,
  };
}
const READER_SA = "external-secrets-reader";

export class AppSecrets extends Component {
  public static readonly type = "app:security:AppSecrets";
  public readonly secretArn: pulumi.Output<string>;
  public readonly kmsKeyArn: pulumi.Output<string>;
  /** Kubernetes Secret names (created by External Secrets Operator) to mount with envFrom. */
  public readonly appSecretName: string;
  /** ConnectionStrings__Postgres of this generation's read-write user: the API and the worker. */
  public readonly dbSecretName: string;
  /** ConnectionStrings__Postgres, PGUSER, PGPASSWORD of the RDS master user: the migration and db-users Jobs only. */
  public readonly dbAdminSecretName: string;
  /** APP_RW_USER/_PASSWORD, APP_RO_USER/_PASSWORD: the db-users Job only. */
  public readonly dbUsersSecretName: string;
  public readonly dbUsers: DatabaseUserNames;
  /** The ExternalSecrets: workloads depend on them so the Secrets exist before pods start. */
  public readonly externalSecrets: k8s.apiextensions.CustomResource[];

  constructor(name: string, args: AppSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(AppSecrets.type, name, opts);
    const a = normalizeArgs(name, args);
    const generation = credentialGeneration(a.rotation);
    this.dbUsers = { generation, readWrite: `app_rw_${generation}`, readOnly: `app_ro_${generation}` };
    this.appSecretName = `${a.namespaceName}-app-secrets`;
    this.dbSecretName = `${a.namespaceName}-db-${generation}`;
    this.dbAdminSecretName = `${a.namespaceName}-db-admin`;
    this.dbUsersSecretName = `${a.namespaceName}-db-users-${generation}`;

    const key = new EncryptionKey(
      `${name}-cmk`,
      { purpose: `Secrets ${a.namePrefix}`, alias: `${a.namePrefix.replace(/\//g, "-")}-secrets` },
      { parent: this },
    );
    const appSecret = this.createAppSecret(name, a, key.arn);
    const usersSecret = this.createDatabaseUsersSecret(name, a, key.arn);
    const store = this.createStore(
      name,
      a,
      [appSecret.arn, usersSecret.arn, a.database.secretArn],
      [key.arn, a.database.kmsKeyArn],
    );
    this.externalSecrets = this.createExternalSecrets(name, a, store, appSecret.ref, usersSecret.ref);
    this.secretArn = appSecret.arn;
    this.kmsKeyArn = key.arn;
    this.registerOutputs({
      secretArn: this.secretArn,
      kmsKeyArn: this.kmsKeyArn,
      appSecretName: this.appSecretName,
      dbSecretName: this.dbSecretName,
      dbAdminSecretName: this.dbAdminSecretName,
      dbUsersSecretName: this.dbUsersSecretName,
    });
  }

  /** Auth__* values of the API: the generated bootstrap token and the OIDC secret from secret config. */
  private createAppSecret(name: string, a: Resolved, kmsKeyId: pulumi.Output<string>) {
    const bootstrap = new random.RandomPassword(
      `${name}-bootstrap-token`,
      { length: 48, special: false, keepers: { rotation: a.rotation } },
      { parent: this },
    );
    const secret = new aws.secretsmanager.Secret(
      `${name}-app`,
      {
        name: `${a.namePrefix}/app`,
        description: "Auth__* values of the API",
        kmsKeyId,
        recoveryWindowInDays: a.recoveryWindowInDays,
      },
      { parent: this },
    );
    const values: Record<string, pulumi.Input<string>> = { Auth__BootstrapToken: bootstrap.result };
    if (a.oidcHs256SharedSecret) values.Auth__Oidc__Hs256SharedSecret = a.oidcHs256SharedSecret;
    const version = new aws.secretsmanager.SecretVersion(
      `${name}-app-version`,
      { secretId: secret.id, secretString: pulumi.secret(pulumi.jsonStringify(values)) },
      { parent: this },
    );
    return pinned(secret, version);
  }

  /**
   * This generation's database users' passwords: letters and digits only (safe in a connection string and
   * unchanged by SCRAM's SASLprep), 40 characters, regenerated with the rotation key.
   */
  private createDatabaseUsersSecret(name: string, a: Resolved, kmsKeyId: pulumi.Output<string>) {
    const password = (role: string) =>
      new random.RandomPassword(
        `${name}-db-${role}-password`,
        { length: 40, special: false, keepers: { rotation: a.rotation } },
        { parent: this },
      ).result;
    const secret = new aws.secretsmanager.Secret(
      `${name}-db-users`,
      {
        name: `${a.namePrefix}/db-users`,
        description: "Least-privilege database users of the current generation (dbusers/provision.ts)",
        kmsKeyId,
        recoveryWindowInDays: a.recoveryWindowInDays,
      },
      { parent: this },
    );
    const values = {
      APP_RW_USER: this.dbUsers.readWrite,
      APP_RW_PASSWORD: password("rw"),
      APP_RO_USER: this.dbUsers.readOnly,
      APP_RO_PASSWORD: password("ro"),
    };
    const version = new aws.secretsmanager.SecretVersion(
      `${name}-db-users-version`,
      { secretId: secret.id, secretString: pulumi.secret(pulumi.jsonStringify(values)) },
      { parent: this },
    );
    return pinned(secret, version);
  }

  /** The SecretStore and its IRSA identity, allowed to read exactly these secrets. */
  private createStore(name: string, a: Resolved, secretArns: pulumi.Input<string>[], keyArns: pulumi.Input<string>[]) {
    const role = new aws.iam.Role(
      `${name}-reader`,
      {
        description: "External Secrets Operator: read the app's secrets",
        assumeRolePolicy: irsaTrustPolicy(a.oidc, [{ namespace: a.namespaceName, name: READER_SA }]),
      },
      { parent: this },
    );
    new aws.iam.RolePolicy(
      `${name}-reader`,
      {
        role: role.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
              Resource: secretArns,
            },
            { Effect: "Allow", Action: ["kms:Decrypt"], Resource: keyArns },
          ],
        }),
      },
      { parent: this },
    );
    const k = { parent: this, provider: a.provider };
    const sa = new k8s.core.v1.ServiceAccount(
      `${name}-reader-sa`,
      {
        metadata: {
          name: READER_SA,
          namespace: a.namespace,
          labels: APP_LABEL,
          annotations: { "eks.amazonaws.com/role-arn": role.arn },
        },
      },
      k,
    );
    return new k8s.apiextensions.CustomResource(
      `${name}-store`,
      {
        apiVersion: a.externalSecretsApiVersion,
        kind: "SecretStore",
        metadata: { name: STORE_NAME, namespace: a.namespace, labels: APP_LABEL, annotations: SYNCED },
        spec: {
          provider: {
            aws: {
              service: "SecretsManager",
              region: a.region,
              auth: { jwt: { serviceAccountRef: { name: READER_SA } } },
            },
          },
        },
      },
      { ...k, dependsOn: [sa] },
    );
  }

  private createExternalSecrets(
    name: string,
    a: Resolved,
    store: k8s.apiextensions.CustomResource,
    appKey: SecretRef,
    usersKey: SecretRef,
  ) {
    const external = (suffix: string, secretName: string, refreshInterval: string, spec: Record<string, unknown>) =>
      new k8s.apiextensions.CustomResource(
        `${name}-${suffix}`,
        {
          apiVersion: a.externalSecretsApiVersion,
          kind: "ExternalSecret",
          metadata: { name: secretName, namespace: a.namespace, labels: APP_LABEL, annotations: SYNCED },
          spec: {
            refreshInterval,
            secretStoreRef: { name: STORE_NAME, kind: "SecretStore" },
            ...spec,
            target: { name: secretName, creationPolicy: "Owner", ...(spec.target as object | undefined) },
          },
        },
        { parent: this, provider: a.provider, dependsOn: [store] },
      );
    const db = a.database;
    const connection = (user: string, password: string) =>
      // VerifyFull: the server's certificate must chain to the RDS CA bundle the pods mount (pod-spec.ts
      // withRdsCaBundle) and name the host; Require would encrypt but trust any certificate.
      // The password is quoted: `;` would end an unquoted value. RDS never puts `"` in a master password
      // (master password rules) and the app users' passwords are letters and digits: no escaping needed.
      pulumi.interpolate`Host=${db.address};Port=${db.port};Database=${db.dbName};Username=${user};Password="${password}";SSL Mode=VerifyFull;Root Certificate=${RDS_CA_FILE}`;
    const master = ["username", "password"].map((p) => ({
      secretKey: p,
      remoteRef: { key: db.secretArn, property: p },
    }));
    return [
      external("app-external", this.appSecretName, "1h", { dataFrom: [{ extract: appKey }] }),
      external("db-external", this.dbSecretName, "1h", {
        target: {
          template: {
            data: { ConnectionStrings__Postgres: connection("{{ .APP_RW_USER }}", "{{ .APP_RW_PASSWORD }}") },
          },
        },
        dataFrom: [{ extract: usersKey }],
      }),
      // RDS rotates the master password every 7 days: refreshed every minute, read by Jobs when they start.
      external("db-admin-external", this.dbAdminSecretName, "1m", {
        target: {
          template: {
            data: {
              ConnectionStrings__Postgres: connection("{{ .username }}", "{{ .password }}"),
              PGUSER: "{{ .username }}",
              PGPASSWORD: "{{ .password }}",
            },
          },
        },
        data: master,
      }),
      external("db-users-external", this.dbUsersSecretName, "1h", { dataFrom: [{ extract: usersKey }] }),
    ];
  }
}
