// @readiness integrity-after-migration: read-only integrity checks after the migration, before the color under test
import { LABEL } from "@app-rollout/shared";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { IntegrityCheck, Phase } from "../dbchecks/checks";
import { Component } from "./component";
import { physicalName } from "./names";
import { APP_LABEL } from "./namespace";
import type { ResourceSizes } from "./pod-spec";
import { databaseEnv, fromSecret, runnerJob } from "./runner-job";

export interface IntegrityChecksArgs {
  /** baseline (before the migration), verify (after it, before traffic) or restore (a restored instance). */
  phase: Phase;
  /** Release id (version + commit): names the Job and keys the baseline. */
  releaseId: string;
  /** Suffix that tells Jobs of one phase apart (e.g. the restore's name). @default none */
  qualifier?: string;
  checks: IntegrityCheck[];
  address: pulumi.Input<string>;
  port: pulumi.Input<number>;
  dbName: string;
  /** Kubernetes Secret with APP_RO_USER / APP_RO_PASSWORD (AppSecrets.dbUsersSecretName). */
  usersSecretName: string;
  /** This project's runner image (app:smoke.image): holds `app-integrity-checks`. */
  runnerImage: string;
  namespace: pulumi.Input<string>;
  provider: k8s.Provider;
  /** @default { cpu: "100m", memory: "128Mi" } */
  resources?: ResourceSizes;
  /** @default 300 */
  deadlineSeconds?: number;
}

/** The pod label the namespace's NetworkPolicies select (egress to Postgres). */
export const INTEGRITY_COMPONENT = { [LABEL.component]: "integrity-checks" };

/**
 * The data integrity checks (dbchecks/) as a Kubernetes Job the up waits for: a failed check fails the Job,
 * the Job fails the up, and whatever depends on it (the color under test after a migration) is never rolled
 * out. Runs as the read-only user; the checks travel in the environment, the credentials by secretKeyRef.
 */
export class IntegrityChecks extends Component {
  public static readonly type = "app:data:IntegrityChecks";
  public readonly job: k8s.batch.v1.Job;
  public readonly jobName: string;

  constructor(name: string, args: IntegrityChecksArgs, opts?: pulumi.ComponentResourceOptions) {
    super(IntegrityChecks.type, name, opts);
    const deadline = args.deadlineSeconds ?? 300;
    this.jobName = physicalName(
      ["integrity", args.phase, args.releaseId, ...(args.qualifier ? [args.qualifier] : [])],
      63,
    );
    const labels = {
      ...APP_LABEL,
      ...INTEGRITY_COMPONENT,
      [LABEL.releaseId]: args.releaseId,
      [LABEL.phase]: args.phase,
    };
    // No retry (backoffLimit 0): a check that failed once has found something; a retry would only hide a
    // flaky query.
    this.job = runnerJob(
      `${name}-${args.releaseId}`,
      {
        jobName: this.jobName,
        namespace: args.namespace,
        labels,
        runnerImage: args.runnerImage,
        command: "app-integrity-checks",
        env: [
          ...databaseEnv(args.address, args.port, args.dbName),
          fromSecret("PGUSER", args.usersSecretName, "APP_RO_USER"),
          fromSecret("PGPASSWORD", args.usersSecretName, "APP_RO_PASSWORD"),
          { name: "INTEGRITY_PHASE", value: args.phase },
          { name: "INTEGRITY_CHECKS", value: JSON.stringify(args.checks) },
          { name: "RELEASE_ID", value: args.releaseId },
          { name: "INTEGRITY_DEADLINE_SECONDS", value: String(deadline) },
        ],
        deadlineSeconds: deadline,
        backoffLimit: 0,
        resources: args.resources,
      },
      { parent: this, provider: args.provider },
    );
    this.registerOutputs({ jobName: this.jobName });
  }
}
