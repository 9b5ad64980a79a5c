/**
 * The stages of a release as a typed union, and the release keys each one writes: a pure function of the
 * keys before the release and the release request, so a resumed run recomputes exactly what a stage
 * writes (Argo Rollouts' model: every pass re-derives what to do from durable status).
 */
import { type Color, otherColor } from "../../components/blue-green";
import type { ReleaseKeys } from "../../config/release-keys";
import type { AppConfig } from "../../config/schema";

export type Stage =
  | { id: "pause-worker"; kind: "pause-worker" }
  | { id: "deploy"; kind: "deploy" }
  | { id: string; kind: "traffic"; weight: number; bakeMinutes: number }
  | { id: "flip"; kind: "flip" }
  | { id: "resume-worker"; kind: "resume-worker" }
  | { id: "watch"; kind: "watch"; minutes: number };

export interface ReleaseRequest {
  /** API image of the release (immutable). */
  image: string;
  version: string;
  commit: string;
  /** Worker image to roll out after the flip. */
  workerImage?: string;
  /** The attempt (the driver run): names the pre-release snapshot (`app:release.attempt`). */
  attempt?: string;
}

export function stagesFor(config: AppConfig, request: ReleaseRequest): Stage[] {
  const r = config.rollout;
  const pause = r.pauseWorkerDuringMigration && !config.worker.paused;
  const stages: Stage[] = [];
  if (pause) stages.push({ id: "pause-worker", kind: "pause-worker" });
  stages.push({ id: "deploy", kind: "deploy" });
  for (const w of r.steps) stages.push({ id: `traffic-${w}`, kind: "traffic", weight: w, bakeMinutes: r.bakeMinutes });
  stages.push({ id: "flip", kind: "flip" });
  if (pause || request.workerImage) stages.push({ id: "resume-worker", kind: "resume-worker" });
  stages.push({ id: "watch", kind: "watch", minutes: r.watchMinutes });
  return stages;
}

export function describeStage(s: Stage, request: ReleaseRequest): string {
  switch (s.kind) {
    case "pause-worker":
      return "pause the worker (0 replicas) for the migration";
    case "deploy":
      return `deploy ${request.version} to the idle color at weight 0: pre-release snapshot, migration Job, smoke test`;
    case "traffic":
      return `send ${s.weight}% to the new color, bake ${s.bakeMinutes} min`;
    case "flip":
      return "flip live to the new color (weight 0 on the old one)";
    case "resume-worker":
      return `${request.workerImage ? `update the worker to ${request.workerImage} and ` : ""}resume the worker`;
    case "watch":
      return `post-deploy watch of ${s.minutes} min on the new live color`;
  }
}

/** The color the release goes to: the idle color before it. */
export function newColor(from: ReleaseKeys): Color {
  return otherColor(from.live);
}

/** The release keys a stage writes, given the keys after the previous stage. */
export function applyStage(s: Stage, cur: ReleaseKeys, from: ReleaseKeys, request: ReleaseRequest): ReleaseKeys {
  const k = structuredClone(cur);
  switch (s.kind) {
    case "pause-worker":
      k.worker.paused = true;
      break;
    case "deploy":
      k.images[newColor(from)] = request.image;
      k.canaryWeight = 0;
      k.scaleDownIdle = false;
      k.version = request.version;
      k.commit = request.commit;
      if (request.attempt) k.attempt = request.attempt;
      else delete k.attempt;
      delete k.migrationFailed;
      break;
    case "traffic":
      k.canaryWeight = s.weight;
      break;
    case "flip":
      k.live = newColor(from);
      k.canaryWeight = 0;
      break;
    case "resume-worker":
      k.worker = { image: request.workerImage ?? cur.worker.image, paused: from.worker.paused };
      break;
    case "watch":
      break;
  }
  return k;
}

/** The keys after stage `index` (inclusive) of a release. */
export function keysAfter(stages: Stage[], index: number, from: ReleaseKeys, request: ReleaseRequest): ReleaseKeys {
  let k = structuredClone(from);
  for (const s of stages.slice(0, index + 1)) k = applyStage(s, k, from, request);
  return k;
}

/** Minutes of baking and watching the whole plan needs (preflight: it must fit the release window). */
export function plannedMinutes(stages: Stage[]): number {
  return stages.reduce((n, s) => n + (s.kind === "traffic" ? s.bakeMinutes : s.kind === "watch" ? s.minutes : 0), 0);
}
