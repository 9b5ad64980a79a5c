/**
 * Rehearsals on the twin for the driver's tests: one warm evaluator (program + policy pack) shared by every
 * scenario of the run, a report per rehearsal, and the end-state assertions every scenario makes.
 */
import * as assert from "node:assert/strict";
import type { Color } from "../../components/blue-green";
import { Evaluator } from "../../gate/evaluator";
import { stackPolicyNames } from "../../rollout/compose";
import type { LedgerEntry } from "../../rollout/model/ledger";
import { buildReport, type RehearsalReport } from "../../rollout/rehearse/report";
import { type RehearsalRun, rehearse } from "../../rollout/rehearse/runner";
import { parseScenario, type ScenarioInput } from "../../rollout/rehearse/scenario";
import { ROOT as PROJECT_DIR } from "./stacks";

const REPO = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/artifortress/api";
/** What the stack files deploy today (prod and staging: 1.4.0 live on blue). */
export const OLD_IMAGE = `${REPO}:sha-1a2b3c4`;
/** The idle color's image in the stack files (an older build). */
export const IDLE_IMAGE = `${REPO}:sha-5d6e7f8`;
export const NEW_IMAGE = `${REPO}:sha-9f8e7d6`;
export const NEWER_IMAGE = `${REPO}:sha-abc1234`;
/** Staging's registry (another account). */
export const stagingImage = (sha: string) =>
  `210987654321.dkr.ecr.eu-central-1.amazonaws.com/artifortress/api:sha-${sha}`;
/** A secret set with `pulumi config set --secret` in every scenario: it must appear in nothing the driver writes. */
export const SECRET = { oidcHs256SharedSecret: "s3cr3t-value-that-must-never-leak-0123456789" };

let evaluator: Evaluator | undefined;

export function sharedEvaluator(): Evaluator {
  evaluator ??= new Evaluator({ dir: PROJECT_DIR, stackPolicies: stackPolicyNames() });
  return evaluator;
}

export function closeSharedEvaluator(): void {
  evaluator?.close();
  evaluator = undefined;
}

export interface Story {
  report: RehearsalReport;
  run: RehearsalRun;
  /** Ledger entries the rehearsal added (the seed's bootstrap entry left out). */
  ledger: LedgerEntry[];
}

/**
 * Stories already told, by their inputs: a rehearsal is deterministic (virtual time, deterministic run ids),
 * so tests that read different facts of the same story share one run. Stories are read, never changed.
 */
const told = new Map<string, Promise<Story>>();

/** Runs a rehearsal of `image` (default NEW_IMAGE, version 1.5.0) on `stack` (default prod) with the scenario. */
export function rehearseStory(
  scenario: ScenarioInput,
  o: { stack?: string; image?: string; version?: string; at?: Date } = {},
): Promise<Story> {
  const key = JSON.stringify([scenario, o]);
  let story = told.get(key);
  if (!story) {
    story = tell(scenario, o);
    told.set(key, story);
    story.catch(() => told.delete(key));
  }
  return story;
}

async function tell(
  scenario: ScenarioInput,
  o: { stack?: string; image?: string; version?: string; at?: Date },
): Promise<Story> {
  const run = await rehearse({
    dir: PROJECT_DIR,
    stack: o.stack ?? "prod",
    image: o.image ?? NEW_IMAGE,
    version: o.version ?? "1.5.0",
    at: o.at,
    scenario: parseScenario({ secrets: SECRET, ...scenario }),
    evaluator: sharedEvaluator(),
  });
  try {
    const report = await buildReport(run, o.image ?? NEW_IMAGE, Object.values(SECRET));
    return { report, run, ledger: report.ledger.filter((e) => e.runId !== "seed") };
  } finally {
    run.world.close();
  }
}

/** Every scenario ends like this: all traffic on one healthy color, stack and lease free, no secret anywhere. */
export function assertSettled(
  s: Story,
  want: { live: Color; images: { blue: string; green: string }; phase: string; lastLedger?: Partial<LedgerEntry> },
): void {
  const f = s.report.final;
  const other: Color = want.live === "blue" ? "green" : "blue";
  assert.deepEqual(f.weights, { [want.live]: 100, [other]: 0 } as Record<Color, number>, "traffic weights");
  assert.equal(f.live, want.live, "live color in the deployed release keys");
  assert.deepEqual(f.images, want.images, "images per color in the cloud");
  assert.equal(f.locked, false, "the stack is not locked");
  assert.equal(f.lease, undefined, "no driver holds the lease");
  assert.equal(f.phase, want.phase, "phase");
  assert.deepEqual(s.report.secretLeaks, [], "no secret value in any file, log, argv or stored record");
  if (want.lastLedger) {
    const last = s.ledger.at(-1);
    assert.ok(last, "a ledger entry was written");
    for (const [k, v] of Object.entries(want.lastLedger))
      assert.deepEqual((last as unknown as Record<string, unknown>)[k], v, `ledger.${k}`);
  }
}

/** Resource changes of the rollback updates, as `op type name`. */
export function rollbackChanges(s: Story): string[] {
  return s.report.rollback.phases.flatMap((r) => r.changes.map((c) => `${c.op} ${c.type} ${c.name}`));
}

/** Exit codes of the commands run, in order (`killed` for a process that died). */
export function commandResults(s: Story): string[] {
  return s.report.commands.map((c) => `${c.command}:${c.result}`);
}
