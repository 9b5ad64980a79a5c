// @readiness migrations-before-traffic: one migration Job per release, after the snapshot, before the new color
import { LABEL } from "@app-rollout/shared";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { Component } from "./component";
import { migrationJobName, releaseId } from "./names";
import { APP_LABEL } from "./namespace";
import { caBundle, hardenedContainer, hardenedPodSpec, type ResourceSizes } from "./pod-spec";

export interface MigrationJobArgs {
  /** Release version and commit: name the Job (`migrate-<release id>`), so it runs once per release attempt. */
  version: string;
  commit: string;
  /** Image of the release (the new color). */
  image: string;
  /** Container args that apply migrations and exit. */
  args: string[];
  namespace: pulumi.Input<string>;
  provider: k8s.Provider;
  serviceAccountName: string;
  resources: ResourceSizes;
  /** Kubernetes Secrets with the connection string. */
  secretNames: string[];
  /**
   * Runner image (app:smoke.image) whose init container provides the RDS CA bundle the connection string
   * verifies the server with (pod-spec.ts withRdsCaBundle). @default none (no bundle mounted)
   */
  caBundleImage?: string;
  /** Hard deadline of the migration. @default 1800 */
  activeDeadlineSeconds?: number;
}

/**
 * Database migrations, applied once per release attempt (runbook 001 §4.3): a Kubernetes Job named after
 * the release id (version + commit) with the release image. A rollback never changes the release id, so
 * it never re-runs an older release's migration against a newer schema. The Kubernetes provider waits for it to complete, so whatever
 * depends on `job` (the new color's Deployment) rolls only after a successful migration. Pass the
 * pre-release snapshot in `dependsOn`. No TTL: a Job that deleted itself would be recreated (and the
 * migration re-run) by the next `up`.
 */
export class MigrationJob extends Component {
  public static readonly type = "app:k8s:MigrationJob";
  public readonly job: k8s.batch.v1.Job;
  public readonly jobName: string;

  constructor(name: string, args: MigrationJobArgs, opts?: pulumi.ComponentResourceOptions) {
    super(MigrationJob.type, name, opts);
    const id = releaseId(args.version, args.commit);
    this.jobName = migrationJobName(id);
    const labels = {
      ...APP_LABEL,
      [LABEL.component]: "migration",
      [LABEL.releaseId]: id,
      [LABEL.commit]: args.commit.toLowerCase(),
    };
    this.job = new k8s.batch.v1.Job(
      `${name}-${id}`,
      {
        metadata: {
          name: this.jobName,
          namespace: args.namespace,
          labels,
          annotations: {
            // pulumi-kubernetes gives up on a Job after 10 min by default (job.go): wait as long as the Job may run.
            "pulumi.com/timeoutSeconds": String((args.activeDeadlineSeconds ?? 1800) + 120),
            // A failed Job would block every later up (the engine retries resources with init errors); an up
            // that still declares it replaces it instead (provider.go replaceUnready).
            "pulumi.com/replaceUnready": "true",
          },
        },
        spec: {
          backoffLimit: 1,
          activeDeadlineSeconds: args.activeDeadlineSeconds ?? 1800,
          template: {
            metadata: { labels },
            spec: caBundle(
              hardenedPodSpec({
                serviceAccountName: args.serviceAccountName,
                restartPolicy: "Never",
                containers: [
                  hardenedContainer(
                    {
                      name: "migrate",
                      image: args.image,
                      args: args.args,
                      envFrom: args.secretNames.map((s) => ({ secretRef: { name: s } })),
                    },
                    args.resources,
                  ),
                ],
              }),
              args.caBundleImage,
            ),
          },
        },
      },
      { parent: this, provider: args.provider },
    );
    this.registerOutputs({ jobName: this.jobName });
  }
}
