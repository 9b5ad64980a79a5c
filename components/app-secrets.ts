import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Component } from "./component";
import { EncryptionKey } from "./encryption-key";
import { type ClusterOidc, irsaTrustPolicy } from "./irsa";
import { APP_LABEL } from "./namespace";

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
 *   recovery window; the database credentials stay in the RDS-managed secret;
 * - External Secrets Operator (a SecretStore authenticated through IRSA) materialises them as Kubernetes
 *   Secrets `<app>-app-secrets` (Auth__* keys) and `<app>-db` (ConnectionStrings__Postgres), which the
 *   Deployments mount with `envFrom`.
 */
/**
 * pulumi-kubernetes awaits nothing on a custom resource by default, so `dependsOn` an ExternalSecret would
 * only order the create: the pods could start before External Secrets Operator wrote the Secret they mount.
 * `pulumi.com/waitFor: condition=Ready` makes the up wait for ESO's Ready condition (the Secret was synced;
 * ESO sets it on every ExternalSecret), with a bound (pulumi-kubernetes generic await, `pulumi.com/waitFor`).
 */
const SYNCED = { "pulumi.com/waitFor": "condition=Ready", "pulumi.com/timeoutSeconds": "300" };
// (The SecretStore reports Ready once it authenticated to Secrets Manager: the same annotation waits for it.)

export class AppSecrets extends Component {
  public static readonly type = "app:security:AppSecrets";
  public readonly secretArn: pulumi.Output<string>;
  public readonly kmsKeyArn: pulumi.Output<string>;
  /** Kubernetes Secret names (created by External Secrets Operator) to mount with envFrom. */
  public readonly appSecretName: string;
  public readonly dbSecretName: string;
  /** The ExternalSecrets: workloads depend on them so the Secrets exist before pods start. */
  public readonly externalSecrets: k8s.apiextensions.CustomResource[];

  constructor(name: string, args: AppSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(AppSecrets.type, name, opts);
    const recoveryWindowInDays = args.recoveryWindowInDays ?? 30;
    if (recoveryWindowInDays < 7)
      throw new Error(`${name}: recoveryWindowInDays must be >= 7 (0 deletes secrets immediately)`);
    const apiVersion = args.externalSecretsApiVersion ?? "external-secrets.io/v1";

    const key = new EncryptionKey(
      `${name}-cmk`,
      { purpose: `Secrets ${args.namePrefix}`, alias: `${args.namePrefix.replace(/\//g, "-")}-secrets` },
      { parent: this },
    );
    const bootstrap = new random.RandomPassword(
      `${name}-bootstrap-token`,
      { length: 48, special: false, keepers: { rotation: args.rotation } },
      { parent: this },
    );
    const secret = new aws.secretsmanager.Secret(
      `${name}-app`,
      {
        name: `${args.namePrefix}/app`,
        description: "Auth__* values of the API",
        kmsKeyId: key.arn,
        recoveryWindowInDays,
      },
      { parent: this },
    );
    const values: Record<string, pulumi.Input<string>> = { Auth__BootstrapToken: bootstrap.result };
    if (args.oidcHs256SharedSecret) values.Auth__Oidc__Hs256SharedSecret = args.oidcHs256SharedSecret;
    new aws.secretsmanager.SecretVersion(
      `${name}-app-version`,
      { secretId: secret.id, secretString: pulumi.secret(pulumi.jsonStringify(values)) },
      { parent: this },
    );

    const readerSa = "external-secrets-reader";
    const role = new aws.iam.Role(
      `${name}-reader`,
      {
        description: "External Secrets Operator: read the app's secrets",
        assumeRolePolicy: irsaTrustPolicy(args.oidc, [{ namespace: args.namespaceName, name: readerSa }]),
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
              Resource: [secret.arn, args.database.secretArn],
            },
            { Effect: "Allow", Action: ["kms:Decrypt"], Resource: [key.arn, args.database.kmsKeyArn] },
          ],
        }),
      },
      { parent: this },
    );

    const k = { parent: this, provider: args.provider };
    const sa = new k8s.core.v1.ServiceAccount(
      `${name}-reader-sa`,
      {
        metadata: {
          name: readerSa,
          namespace: args.namespace,
          labels: APP_LABEL,
          annotations: { "eks.amazonaws.com/role-arn": role.arn },
        },
      },
      k,
    );
    const store = new k8s.apiextensions.CustomResource(
      `${name}-store`,
      {
        apiVersion,
        kind: "SecretStore",
        metadata: { name: "aws-secrets-manager", namespace: args.namespace, labels: APP_LABEL, annotations: SYNCED },
        spec: {
          provider: {
            aws: {
              service: "SecretsManager",
              region: args.region,
              auth: { jwt: { serviceAccountRef: { name: readerSa } } },
            },
          },
        },
      },
      { ...k, dependsOn: [sa] },
    );
    this.appSecretName = `${args.namespaceName}-app-secrets`;
    this.dbSecretName = `${args.namespaceName}-db`;
    const storeRef = { name: "aws-secrets-manager", kind: "SecretStore" };
    const appExternal = new k8s.apiextensions.CustomResource(
      `${name}-app-external`,
      {
        apiVersion,
        kind: "ExternalSecret",
        metadata: { name: this.appSecretName, namespace: args.namespace, labels: APP_LABEL, annotations: SYNCED },
        spec: {
          refreshInterval: "1h",
          secretStoreRef: storeRef,
          target: { name: this.appSecretName, creationPolicy: "Owner" },
          dataFrom: [{ extract: { key: secret.name } }],
        },
      },
      { ...k, dependsOn: [store] },
    );
    const dbExternal = new k8s.apiextensions.CustomResource(
      `${name}-db-external`,
      {
        apiVersion,
        kind: "ExternalSecret",
        metadata: { name: this.dbSecretName, namespace: args.namespace, labels: APP_LABEL, annotations: SYNCED },
        spec: {
          refreshInterval: "15m",
          secretStoreRef: storeRef,
          target: {
            name: this.dbSecretName,
            creationPolicy: "Owner",
            template: {
              data: {
                // The password is quoted: `;` is legal in an RDS-generated password and would end the value;
                // RDS never puts `"` in one (master password rules), so quoting needs no escaping.
                ConnectionStrings__Postgres: pulumi.interpolate`Host=${args.database.address};Port=${args.database.port};Database=${args.database.dbName};Username={{ .username }};Password="{{ .password }}";SSL Mode=Require`,
              },
            },
          },
          data: [
            { secretKey: "username", remoteRef: { key: args.database.secretArn, property: "username" } },
            { secretKey: "password", remoteRef: { key: args.database.secretArn, property: "password" } },
          ],
        },
      },
      { ...k, dependsOn: [store] },
    );
    this.externalSecrets = [appExternal, dbExternal];
    this.secretArn = secret.arn;
    this.kmsKeyArn = key.arn;
    this.registerOutputs({
      secretArn: this.secretArn,
      kmsKeyArn: this.kmsKeyArn,
      appSecretName: this.appSecretName,
      dbSecretName: this.dbSecretName,
    });
  }
}
