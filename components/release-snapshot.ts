import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { versionSlug } from "./names";

export interface ReleaseSnapshotArgs {
  /** Identifier of the instance to snapshot. */
  dbInstanceIdentifier: pulumi.Input<string>;
  /** Release version (config `release.version`); names the snapshot so each release has its own. */
  version: string;
}

/**
 * The pre-release backup of runbook 001 §1 ("production backup created"): a manual RDS snapshot whose
 * identifier derives from the release version, taken before the migration Job runs (the Job depends on
 * `snapshot`). Retained on delete: when the next release replaces it in the program, the snapshot of this
 * release stays in AWS as the restore point of the rollback runbook.
 */
export class ReleaseSnapshot extends pulumi.ComponentResource {
  public static readonly type = "app:data:ReleaseSnapshot";
  public readonly snapshot: aws.rds.Snapshot;
  public readonly snapshotIdentifier: pulumi.Output<string>;

  constructor(name: string, args: ReleaseSnapshotArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ReleaseSnapshot.type, name, {}, opts);
    const slug = versionSlug(args.version);
    this.snapshot = new aws.rds.Snapshot(
      `${name}-${slug}`,
      {
        dbInstanceIdentifier: args.dbInstanceIdentifier,
        dbSnapshotIdentifier: pulumi.interpolate`${args.dbInstanceIdentifier}-pre-${slug}`,
        tags: { release: args.version, purpose: "pre-release" },
      },
      { parent: this, retainOnDelete: true },
    );
    this.snapshotIdentifier = this.snapshot.dbSnapshotIdentifier;
    this.registerOutputs({ snapshotIdentifier: this.snapshotIdentifier });
  }
}
