// @readiness least-privilege: least-privilege database users for the API and worker
import { LABEL } from "@app-rollout/shared";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { Component } from "./component";
import { physicalName } from "./names";
import { APP_LABEL } from "./namespace";
import type { ResourceSizes } from "./pod-spec";
import { databaseEnv, fromSecret, runnerJob } from "./runner-job";

export interface DatabaseUsersArgs {
  /** Generation of the users (components/names.ts credentialGeneration): names the Job. */
  generation: string;
  /** This generation's user names (AppSecrets.dbUsers): the Job refuses a users Secret of another generation. */
  users: { readWrite: string; readOnly: string };
  /** RDS instance identifier the users are created on: a cutover to a restored instance runs the Job again. */
  instanceIdentifier: string;
  address: pulumi.Input<string>;
  port: pulumi.Input<number>;
  dbName: string;
  /** Kubernetes Secret with PGUSER/PGPASSWORD of the master user (AppSecrets.dbAdminSecretName). */
  adminSecretName: string;
  /** Kubernetes Secret with APP_RW_USER/_PASSWORD, APP_RO_USER/_PASSWORD (AppSecrets.dbUsersSecretName). */
  usersSecretName: string;
  /** This project's runner image (app:smoke.image): holds `app-db-users` and the RDS CA bundle. */
  runnerImage: string;
  namespace: pulumi.Input<string>;
  provider: k8s.Provider;
  /** @default { cpu: "100m", memory: "128Mi" } */
  resources?: ResourceSizes;
  /** @default 600 */
  deadlineSeconds?: number;
}

const MASTER_KEYS = ["PGUSER", "PGPASSWORD"];
const USER_KEYS = ["APP_RW_USER", "APP_RW_PASSWORD", "APP_RO_USER", "APP_RO_PASSWORD"];
/** The pod label the namespace's NetworkPolicies select (egress to Postgres only). */
export const DB_USERS_COMPONENT = { [LABEL.component]: "db-users" };

/**
 * The least-privilege database users (dbusers/provision.ts) as a Kubernetes Job run by `pulumi up`: one
 * Job per users generation and instance, so a rotation or a cutover runs it again and nothing else does.
 * The API and worker depend on it: they connect as the users it created. Every value comes from the
 * environment (secretKeyRef), never from args. A pod that cannot log in (RDS rotated the master password)
 * or sees a users Secret of another generation exits; the next pod (backoffLimit 3) reads the Secrets again
 * (the admin Secret refreshes every minute).
 */
export class DatabaseUsers extends Component {
  public static readonly type = "app:data:DatabaseUsers";
  public readonly job: k8s.batch.v1.Job;
  public readonly jobName: string;

  constructor(name: string, args: DatabaseUsersArgs, opts?: pulumi.ComponentResourceOptions) {
    super(DatabaseUsers.type, name, opts);
    const deadline = args.deadlineSeconds ?? 600;
    this.jobName = physicalName(["db-users", args.generation, args.instanceIdentifier], 63);
    const labels = { ...APP_LABEL, ...DB_USERS_COMPONENT, [LABEL.credentialGeneration]: args.generation };
    this.job = runnerJob(
      `${name}-${args.generation}`,
      {
        jobName: this.jobName,
        namespace: args.namespace,
        labels,
        runnerImage: args.runnerImage,
        command: "app-db-users",
        env: [
          ...databaseEnv(args.address, args.port, args.dbName),
          // Per pod: a pod that cannot log in (the master password rotated) exits and the next one retries.
          { name: "DB_USERS_DEADLINE_SECONDS", value: String(Math.floor(deadline / 5)) },
          { name: "EXPECT_RW_USER", value: args.users.readWrite },
          { name: "EXPECT_RO_USER", value: args.users.readOnly },
          ...MASTER_KEYS.map((key) => fromSecret(key, args.adminSecretName, key)),
          ...USER_KEYS.map((key) => fromSecret(key, args.usersSecretName, key)),
        ],
        deadlineSeconds: deadline,
        backoffLimit: 3,
        resources: args.resources,
      },
      { parent: this, provider: args.provider },
    );
    this.registerOutputs({ jobName: this.jobName });
  }
}
