/**
 * The release ledger (runbook 002 "release ledger"): one entry per release, rollback, abort and apply —
 * who, when, from → to release keys, stages reached, why — kept in the durable release store, never on the
 * runner. The lineage of good releases (what `rollout rollback` returns to) is derived from it.
 */
import type { Color } from "../../components/blue-green";
import type { ReleaseKeys } from "../../config/release-keys";
import type { ReasonCode } from "./status";

export interface LedgerEntry {
  /** Deterministic per run and result, so re-appending after a crash keeps one entry. */
  id: string;
  runId: string;
  kind: "release" | "rollback" | "abort" | "apply";
  outcome: "released" | "rolled-back" | "aborted" | "rollback-failed" | "applied" | "failed";
  stack: string;
  who: string;
  startedAt: string;
  endedAt: string;
  /** Release version under way. */
  release?: string;
  from: ReleaseKeys;
  to: ReleaseKeys;
  stagesReached: string[];
  reason?: { code: ReasonCode | string; detail: string };
  /** Stack rollback: the release run it undid. */
  undoes?: string;
  /** Seconds from the rollback trigger to traffic back on the previous color. */
  trafficRestoredAfterSeconds?: number;
  /** Pre-release snapshots deleted by the rotation after this release (app:backups.releaseSnapshotsKept). */
  snapshotsRotated?: string[];
  /** The release's in-cluster smoke test: passed (the deploy's up succeeded), or why it failed. */
  smoke?: { job: string; ok: boolean; detail: string; at: string };
  /** Readiness and the admin ops summary after a rollback (runbook 001 §6.4). */
  checksAfter?: { ready: string; opsSummary?: Record<string, unknown>; opsError?: string };
}

export interface GoodRelease {
  runId: string;
  keys: ReleaseKeys;
  at: string;
}

/** The releases that were released and not rolled back since, oldest first (an apply bootstraps it). */
export function lineage(entries: LedgerEntry[]): GoodRelease[] {
  const good: GoodRelease[] = [];
  for (const e of entries) {
    if ((e.kind === "release" && e.outcome === "released") || (e.kind === "apply" && good.length === 0))
      good.push({ runId: e.runId, keys: e.to, at: e.endedAt });
    if (e.kind === "rollback" && e.outcome === "rolled-back" && e.undoes) {
      const i = good.findIndex((g) => g.runId === e.undoes);
      if (i >= 0) good.splice(i, 1);
    }
  }
  return good;
}

const imageOn = (k: ReleaseKeys, c: Color) => k.images[c];

/**
 * What `rollout rollback` returns to: the release before the current one in the lineage — only if its
 * image still runs on the color that served it (a rollback moves traffic; it never deploys an old image).
 */
export function rollbackTarget(
  entries: LedgerEntry[],
  deployed: ReleaseKeys,
): { ok: true; undoes: string; target: GoodRelease } | { ok: false; why: string } {
  const good = lineage(entries);
  if (good.length < 2)
    return {
      ok: false,
      why: "the ledger has no earlier good release to return to (nothing was released before this one)",
    };
  const current = good[good.length - 1];
  const target = good[good.length - 2];
  const color = target.keys.live;
  if (imageOn(deployed, color) !== imageOn(target.keys, color))
    return {
      ok: false,
      why: `the previous release (${target.keys.version}, ${imageOn(target.keys, color)}) no longer runs on ${color} (it runs ${imageOn(deployed, color)}): a rollback only moves traffic back to a color still running it. Release that image again with 'rollout start --image ${imageOn(target.keys, color)}'.`,
    };
  if (deployed.live === color && deployed.canaryWeight === 0)
    return {
      ok: false,
      why: `${target.keys.version} on ${color} is already live with 100% of traffic: nothing to roll back`,
    };
  return { ok: true, undoes: current.runId, target };
}
