/**
 * Story: six earlier releases left their pre-release snapshots retained in AWS. After 1.5.0 is released, the
 * driver keeps the newest app:backups.releaseSnapshotsKept (5) of the instance's pre-release snapshots —
 * the one the stack manages and the previous release's included — and deletes the older ones (RDS allows
 * 100 manual snapshots per region). A rotation that fails is a warning; the release is still released.
 */
import * as assert from "node:assert/strict";
import { assertSettled, commandResults, NEW_IMAGE, OLD_IMAGE, rehearseStory } from "../../support/twin";

const released = { live: "green" as const, images: { blue: OLD_IMAGE, green: NEW_IMAGE }, phase: "Released" };

function preRelease(s: Awaited<ReturnType<typeof rehearseStory>>) {
  return [...s.run.world.cloud.physicals.values()]
    .filter(
      (p) =>
        p.type === "aws:rds/snapshot:Snapshot" && (p.props.tags as Record<string, string>)?.purpose === "pre-release",
    )
    .sort((a, b) => a.createdAt - b.createdAt);
}

describe("scenario: pre-release snapshot rotation", () => {
  it("keeps the newest 5 (the managed one and the previous release's among them), deletes the rest, names them in the ledger", async () => {
    const s = await rehearseStory({ retainedSnapshots: 6 });
    assert.deepEqual(commandResults(s), ["start:released"]);
    const left = preRelease(s);
    assert.equal(left.length, 5);
    assert.ok(
      left.some((p) => !p.retained),
      "the snapshot the stack manages is kept",
    );
    assert.ok(
      left.some((p) => String(p.props.dbSnapshotIdentifier).includes("-pre-1-4-0-")),
      "the previous release's snapshot (a rollback's restore point) is kept",
    );
    const rotated = (s.ledger.at(-1) as unknown as { snapshotsRotated?: string[] }).snapshotsRotated ?? [];
    assert.deepEqual(
      [...rotated].sort(),
      [
        "artifortress-prod-pre-1-0-0-0000000",
        "artifortress-prod-pre-1-1-0-0000101",
        "artifortress-prod-pre-1-2-0-0000202",
      ],
      "the three oldest go",
    );
    assertSettled(s, { ...released, lastLedger: { outcome: "released" } });
  });

  it("DeleteDBSnapshot denied: a warning, nothing deleted, the release is released (exit 0)", async () => {
    const s = await rehearseStory({ retainedSnapshots: 6, deniedApis: ["rds:DeleteDBSnapshot"] });
    assert.deepEqual(commandResults(s), ["start:released"]);
    assert.equal(preRelease(s).length, 8);
    assert.ok(
      s.run.logs.some((l) => /warning: pre-release snapshots not rotated: RDS DeleteDBSnapshot .* was denied/.test(l)),
    );
    assertSettled(s, { ...released, lastLedger: { outcome: "released" } });
  });
});
