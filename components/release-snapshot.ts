// @readiness pre-release-backup: a manual RDS snapshot named after the release, before the migration
import { TAG } from "@app-rollout/shared";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Component } from "./component";
import { releaseId } from "./names";

export interface ReleaseSnapshotArgs {
  /** Identifier of the instance to snapshot. */
  dbInstanceIdentifier: pulumi.Input<string>;
  /** Release version (config `release.version`). */
  version: string;
  /** Commit of the release build (config `release.commit`); with the version it names the snapshot. */
  commit: string;
  /** The release attempt (config `release.attempt`, set by the rollout driver). @default none: `<db>-pre-<id>` */
  attempt?: string;
  /**
   * The release's migration failed and it was rolled back (config `release.migrationFailed`): tagged
   * `rollout/migration: failed`, so the readiness rules know why the stack has no migration Job. @default false
   */
  migrationFailed?: boolean;
}

/**
 * The pre-release backup of runbook 001 §1 ("production backup created"): a manual RDS snapshot whose
 * identifier derives from the release id (version + commit, `<db>-pre-<id>`), taken before the migration Job
 * runs (the Job depends on `snapshot`). Retained on delete: when the next release replaces it in the
 * program, the snapshot of this release stays in AWS as the restore point of the rollback runbook. A
 * rollback never changes the release id, so it never asks for a snapshot whose identifier already exists.
 */
export class ReleaseSnapshot extends Component {
  public static readonly type = "app:data:ReleaseSnapshot";
  public readonly snapshot: aws.rds.Snapshot;
  public readonly snapshotIdentifier: pulumi.Output<string>;

  constructor(name: string, args: ReleaseSnapshotArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ReleaseSnapshot.type, name, opts);
    const id = releaseId(args.version, args.commit);
    // The identifier is unique per attempt: an earlier attempt's snapshot is retained in AWS under its name.
    const identifier = args.attempt ? `${id}-${args.attempt}` : id;
    this.snapshot = new aws.rds.Snapshot(
      `${name}-${id}`,
      {
        dbInstanceIdentifier: args.dbInstanceIdentifier,
        dbSnapshotIdentifier: pulumi.interpolate`${args.dbInstanceIdentifier}-pre-${identifier}`,
        tags: {
          release: args.version,
          [TAG.releaseId]: id,
          [TAG.commit]: args.commit,
          purpose: "pre-release",
          ...(args.migrationFailed ? { [TAG.migration]: "failed" } : {}),
        },
      },
      // Taken once: after a restore cutover moves the primary (components/database.ts), this release's snapshot
      // stays the one of the instance it was taken of — a move would take a second snapshot and make the way
      // back (cutover: false) fail on the retained first one (DBSnapshotAlreadyExists).
      { parent: this, retainOnDelete: true, ignoreChanges: ["dbInstanceIdentifier", "dbSnapshotIdentifier"] },
    );
    this.snapshotIdentifier = this.snapshot.dbSnapshotIdentifier;
    this.registerOutputs({ snapshotIdentifier: this.snapshotIdentifier });
  }
}
