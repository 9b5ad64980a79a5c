/**
 * Rotation of the pre-release snapshots (runbook 002 §2: "retain N last snapshots"). The program names
 * one snapshot per release attempt and retains it in AWS when the next release replaces it
 * (components/release-snapshot.ts, `retainOnDelete`), so they pile up — and RDS allows 100 manual
 * snapshots per region (RDS quotas). After a release, the driver keeps the newest
 * `app:backups.releaseSnapshotsKept` (≥ 2: the previous release's is a rollback's restore point) of the
 * instance's manual snapshots tagged `purpose=pre-release` and deletes the older ones. Snapshots AWS Backup
 * or people made are never touched (other tags). A failure is a warning: it never fails a release.
 */
// @readiness backups-rotated: rotation of the pre-release snapshots after a release
import type { AppConfig } from "../config/schema";
import type { DbSnapshot } from "./ports";
import type { Run } from "./run";

/** The snapshots to delete: the pre-release ones beyond the newest `keep`. */
export function snapshotsToRotate(all: DbSnapshot[], keep: number): DbSnapshot[] {
  return all
    .filter((s) => s.tags.purpose === "pre-release")
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
    .slice(Math.max(2, keep));
}

/**
 * Rotates across every instance of the stack (after a restore cutover the pre-release snapshots of the
 * original and of the new primary count together, so the original's are not kept forever).
 */
export async function rotateReleaseSnapshots(
  run: Run,
  config: AppConfig,
  dbInstanceIdentifiers: string[],
): Promise<string[]> {
  try {
    const all = (await Promise.all(dbInstanceIdentifiers.map((id) => run.d.snapshots.list(id)))).flat();
    const old = snapshotsToRotate(all, config.backups.releaseSnapshotsKept);
    for (const s of old) await run.d.snapshots.delete(s.id);
    if (old.length > 0)
      run.d.log(
        `  rotated ${old.length} pre-release snapshot(s), kept the newest ${config.backups.releaseSnapshotsKept}: ${old.map((s) => s.id).join(", ")}`,
      );
    return old.map((s) => s.id);
  } catch (e) {
    run.d.log(`  warning: pre-release snapshots not rotated: ${(e as Error).message}`);
    return [];
  }
}
