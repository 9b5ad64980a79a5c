/**
 * The rehearsal report: every stage and every rollback update with its config change (release keys), the
 * resources it created/updated/replaced/deleted, the gate verdict on its config and the alarm states the
 * driver saw, and the end state. JSON for tools (its shape is documented in docs/rehearsal.md), text and
 * Markdown for people.
 */
import { TAG } from "@app-rollout/shared";
import { COLORS } from "../../components/blue-green";
import { changedKeys, describeKeys, type ReleaseKeys } from "../../config/release-keys";
import type { CommandResult } from "../errors";
import type { LedgerEntry } from "../model/ledger";
import { parseMessage, type UpPurpose } from "../model/message";
import { phaseOf, type ReleaseState, type RolloutStatus } from "../model/status";
import type { StackRecord } from "../store/port";
import type { UpdateRecord } from "../twin/backend";
import type { CommandRun, RehearsalRun } from "./runner";

export interface Change {
  op: string;
  type: string;
  name: string;
  error?: string;
}

export interface StageReport {
  id: string;
  kind: string;
  gate: "go" | "no-go" | "not-run";
  configChange: string[];
  changes: Change[];
  update?: {
    version: number;
    result: string;
    startedAt: string;
    endedAt?: string;
    policyFailures: UpdateRecord["policyFailures"];
  };
  alarms: { at: string; states?: Record<string, string>; error?: string }[];
  completed: boolean;
}

export interface RollbackReport {
  phase: string;
  reason: string;
  gate: "go" | "no-go" | "not-run";
  changes: Change[];
  update: { version: number; result: string; startedAt: string; endedAt?: string };
}

export interface RollbackSection {
  /** Every rollback update, in order. */
  phases: RollbackReport[];
  /**
   * Seconds from the trigger to 100 % on the previous color: from the gating alarm entering ALARM (the
   * evaluation minute of the first poll that saw it), else from the rollback's start.
   */
  trafficRestoredAfterSeconds?: number;
  /** How traffic was restored: one ModifyListener call (`listener`) or the traffic phase's `up`. */
  restoredBy?: "listener" | "up";
  /** The cloud and CLI calls made from the trigger until traffic was restored, in order. */
  criticalPathCalls?: string[];
  /** Why the direct listener call was not used (then the up restored traffic). */
  fastRestoreError?: string;
}

export interface RehearsalReport {
  stack: string;
  image: string;
  result: CommandResult | "killed";
  exitCode: number;
  startedAt: string;
  endedAt: string;
  commands: CommandRun[];
  stages: StageReport[];
  rollback: RollbackSection;
  final: {
    live: string;
    weights: { blue: number; green: number };
    images: { blue?: string; green?: string };
    locked: boolean;
    lease?: string;
    phase: string;
    release?: ReleaseKeys;
  };
  ledger: LedgerEntry[];
  /** Release notifications published to the alert topic, in order (failed attempts have `error`). */
  notifications: {
    at: string;
    kind: string;
    subject: string;
    stage?: string;
    error?: string;
    /** The topic it went to (the alert topic pages; the releases topic is email only). */
    topic?: string;
    severity?: string;
  }[];
  jobs: { at: string; name: string; image: string; color?: string; ok: boolean; output: string }[];
  retained: string[];
  /** Secret values found in anything the driver wrote or ran (must be empty). */
  secretLeaks: string[];
  timing: { virtualMinutes: number; wallMs: number; updates: number; captures: number; packStarts: number };
}

const iso = (ms: number) => new Date(ms).toISOString();

function changesOf(u: UpdateRecord): Change[] {
  return u.steps
    .filter((s) => s.op !== "same")
    .map((s) => ({ op: s.op, type: s.type, name: s.name, ...(s.error ? { error: s.error } : {}) }));
}

function gateFor(r: RehearsalRun, step: string, at: number): "go" | "no-go" | "not-run" {
  const g = [...r.world.gateLog].reverse().find((x) => x.step === step && x.at <= at + 1);
  return g ? (g.decision === "go" ? "go" : "no-go") : "not-run";
}

/** An update of the stack with the purpose its message records (release stage, rollback phase), if any. */
interface PurposedUpdate {
  u: UpdateRecord;
  p: UpPurpose | undefined;
}

export async function buildReport(r: RehearsalRun, image: string, secrets: string[]): Promise<RehearsalReport> {
  const w = r.world;
  const stack = w.o.stack;
  const rec = await w.store.read(stack);
  const ledger = (await w.store.readLedger(stack)) as unknown as LedgerEntry[];
  const updates = w.backend.stack(stack).updates;
  const release = updates.map((u) => ({ u, p: parseMessage(u.message) }));
  const stages = stageReports(r, release);
  const phases = rollbackReports(r, release);
  const rollbackSection = restoreSummary(r, rec.status, phases);
  const last =
    [...r.commands].reverse().find((c) => c.command !== "status" && c.command !== "unlock") ?? r.commands.at(-1)!;
  const weights = w.weightsAt(w.clock.nowMs());
  return {
    stack,
    image,
    result: last.result,
    exitCode: last.exitCode ?? 5,
    startedAt: r.commands[0]?.startedAt ?? iso(w.clock.nowMs()),
    endedAt: iso(w.clock.nowMs()),
    commands: r.commands,
    stages,
    rollback: rollbackSection,
    final: finalState(r, rec, weights),
    ledger,
    notifications: w.notifications.map(({ at, body: _body, ...n }) => ({ at: iso(at), ...n })),
    jobs: jobsOf(r),
    retained: w.cloud.retained().map((p) => `${p.type} ${p.name ?? p.id}`),
    secretLeaks: findSecrets(r, [...secrets, w.adminToken], rec, ledger),
    timing: timingOf(r, updates.length),
  };
}

/** Each stage of the rehearsed release: its config change, its update, the gate verdict and the alarm polls. */
function stageReports(r: RehearsalRun, release: PurposedUpdate[]): StageReport[] {
  const w = r.world;
  const status = r.releaseStatus;
  const releaseRunId = status?.runId;
  const stageIds = status?.stages ?? [];
  let keys = r.initial;
  return stageIds.map((st) => {
    const hit = [...release]
      .reverse()
      .find((x) => x.p?.command === "release" && x.p.runId === releaseRunId && x.p.step === st.id);
    // Alarm polls belong to the stage whose up or bake was under way: from its start to its completion.
    const p = status?.progress[st.id];
    const from = hit?.u.startTime ?? (p?.bakeStartedAt ? Date.parse(p.bakeStartedAt) : Number.POSITIVE_INFINITY);
    const until = p?.completedAt ? Date.parse(p.completedAt) + 1 : w.clock.nowMs() + 1;
    const cfg = hit ? (configKeys(hit.u) ?? keys) : keys;
    const change = changedKeys(keys, cfg);
    keys = cfg;
    return {
      id: st.id,
      kind: st.kind,
      gate: hit
        ? gateFor(r, st.id, hit.u.startTime)
        : st.kind === "watch" && status?.progress[st.id]
          ? "go"
          : "not-run",
      configChange: change,
      changes: hit ? changesOf(hit.u) : [],
      update: hit && {
        version: hit.u.version,
        result: hit.u.result,
        startedAt: iso(hit.u.startTime),
        endedAt: hit.u.endTime === undefined ? undefined : iso(hit.u.endTime),
        policyFailures: hit.u.policyFailures,
      },
      alarms: w.cloudwatch.calls
        .filter((c) => c.at >= from && c.at < until)
        .map((c) => ({ at: iso(c.at), states: c.result, error: c.error })),
      completed: Boolean(status?.progress[st.id]?.completedAt),
    };
  });
}

/** Every rollback update, in order. */
function rollbackReports(r: RehearsalRun, release: PurposedUpdate[]): RollbackReport[] {
  return release
    .filter((x) => x.p?.command === "rollback")
    .map(({ u, p }) => ({
      phase: p!.command === "rollback" ? p!.step : "",
      reason: p!.command === "rollback" ? p!.reason : "",
      gate: gateFor(r, `rollback-${p!.command === "rollback" ? p!.step : ""}`, u.startTime),
      changes: changesOf(u),
      update: {
        version: u.version,
        result: u.result,
        startedAt: iso(u.startTime),
        endedAt: u.endTime === undefined ? undefined : iso(u.endTime),
      },
    }));
}

/** The end state: traffic, images, the stack lock, the lease, the rollout phase and the deployed keys. */
function finalState(
  r: RehearsalRun,
  rec: StackRecord<RolloutStatus, ReleaseState>,
  weights: RehearsalReport["final"]["weights"],
): RehearsalReport["final"] {
  const w = r.world;
  return {
    live: rec.release?.keys.live ?? r.initial.live,
    weights,
    images: Object.fromEntries(COLORS.map((c) => [c, w.imageOn(c)])) as { blue?: string; green?: string },
    locked: Boolean(w.backend.stack(w.o.stack).lock),
    lease: rec.lease && `${rec.lease.holder.command} ${rec.lease.holder.runId}`,
    phase: phaseOf(rec.status),
    release: rec.release?.keys,
  };
}

/** The Jobs the twin cloud ran, in order. */
function jobsOf(r: RehearsalRun): RehearsalReport["jobs"] {
  return r.world.cloud.jobRuns.map((j) => ({
    at: iso(j.at),
    name: j.name,
    image: j.image,
    color: j.labels[TAG.color],
    ok: j.ok,
    output: j.output,
  }));
}

/** Virtual and wall time of the rehearsal, and how much work it took. */
function timingOf(r: RehearsalRun, updates: number): RehearsalReport["timing"] {
  const w = r.world;
  return {
    virtualMinutes: Math.round(
      (w.clock.nowMs() - Date.parse(r.commands[0]?.startedAt ?? iso(w.clock.nowMs()))) / 60_000,
    ),
    wallMs: r.wallMs,
    updates,
    captures: w.o.evaluator.stats.captures,
    packStarts: w.o.evaluator.stats.packStarts,
  };
}

/** When the trigger of the rollback happened, when traffic was back, and every call in between. */
function restoreSummary(r: RehearsalRun, last: RolloutStatus | undefined, phases: RollbackReport[]): RollbackSection {
  const w = r.world;
  const status = [last, r.releaseStatus].find((x) => x?.rollback?.trafficRestoredAt);
  const rb = status?.rollback;
  if (!rb?.trafficRestoredAt) return { phases };
  const restored = Date.parse(rb.trafficRestoredAt);
  const started = Date.parse(rb.startedAt);
  // From the alarm's state history: when the alarm the driver saw first in ALARM entered that state.
  const seen =
    rb.reason === "AlarmFired"
      ? w.cloudwatch.calls.find(
          (c) => c.at <= started && c.at >= started - 3600_000 && Object.values(c.result ?? {}).includes("ALARM"),
        )
      : undefined;
  const firing = Object.entries(seen?.result ?? {}).find(([, v]) => v === "ALARM")?.[0];
  const entered = seen && firing ? w.cloudwatch.enteredAlarmAt(firing, seen.at) : undefined;
  const trigger = entered ?? started;
  // The calls in order, from the first at the trigger to the one that restored traffic: the verified
  // listener call, or the start of the traffic phase's up.
  const log = w.apiLog;
  const first = log.findIndex((c) => c.at >= trigger);
  let end = -1;
  log.forEach((c, k) => {
    if (c.at > restored) return;
    if (
      rb.restoredBy === "listener"
        ? c.api === "elasticloadbalancing:DescribeListeners"
        : /^pulumi up \(rollback .*: traffic/.test(c.api)
    )
      end = k;
  });
  const calls = first >= 0 && end >= first ? log.slice(first, end + 1).map((c) => c.api) : [];
  return {
    phases,
    trafficRestoredAfterSeconds: Math.round((restored - trigger) / 1000),
    restoredBy: rb.restoredBy,
    criticalPathCalls: calls,
    fastRestoreError: rb.fastRestoreError,
  };
}

/** The release keys an update ran with (from its recorded config). */
function configKeys(u: UpdateRecord): ReleaseKeys | undefined {
  const get = (k: string) => {
    const v = u.config[`app:${k}`]?.value;
    return v === undefined ? undefined : (JSON.parse(v) as Record<string, unknown>);
  };
  const bg = get("blueGreen") as
    | {
        live: "blue" | "green";
        blue: { image: string };
        green: { image: string };
        canaryWeight?: number;
        scaleDownIdle?: boolean;
      }
    | undefined;
  const rel = get("release") as { version: string; commit: string } | undefined;
  const worker = get("worker") as { image: string; paused?: boolean } | undefined;
  if (!bg || !rel || !worker) return undefined;
  return {
    live: bg.live,
    images: { blue: bg.blue.image, green: bg.green.image },
    canaryWeight: bg.canaryWeight ?? 0,
    scaleDownIdle: bg.scaleDownIdle ?? false,
    version: rel.version,
    commit: rel.commit,
    worker: { image: worker.image, paused: worker.paused ?? false },
  };
}

/** Where a secret value appears in what the driver wrote, ran or logged. */
function findSecrets(r: RehearsalRun, secrets: string[], rec: unknown, ledger: unknown): string[] {
  const places: [string, string][] = [
    ["store record", JSON.stringify(rec)],
    ["ledger", JSON.stringify(ledger)],
    ["logs", r.logs.join("\n")],
    ["argv", JSON.stringify(r.world.stacks.flatMap((s) => s.argv))],
    ["config files passed to pulumi up", r.world.stacks.flatMap((s) => s.files).join("\n")],
    ["update history (as stored)", JSON.stringify(r.world.backend.stack(r.world.o.stack).updates.map((u) => u.config))],
    ["resource inputs (manifests, Job specs)", JSON.stringify(r.world.state().map((x) => x.inputs))],
    ["notifications", JSON.stringify(r.world.notifications)],
  ];
  return secrets.flatMap((secret) => places.filter(([, text]) => text.includes(secret)).map(([where]) => where));
}

export function renderRehearsalText(rep: RehearsalReport): string {
  const lines = [`Rehearsal of ${rep.image} on ${rep.stack} (twin, virtual time ${rep.startedAt} → ${rep.endedAt})`];
  for (const c of rep.commands)
    lines.push(
      `  $ rollout ${c.command}  [${c.process}] → ${c.result}${c.exitCode === undefined ? "" : ` (exit ${c.exitCode})`}${c.message ? `: ${c.message.split("\n")[0]}` : ""}`,
    );
  lines.push("");
  for (const s of rep.stages) {
    lines.push(
      `▶ ${s.id.padEnd(14)} gate ${s.gate.padEnd(7)} ${s.completed ? "done" : "not done"}${s.configChange.length ? `  config: ${s.configChange.join(", ")}` : ""}`,
    );
    for (const ch of s.changes)
      lines.push(`      ${ch.op.padEnd(8)} ${ch.type} ${ch.name}${ch.error ? `  ✗ ${ch.error}` : ""}`);
    const alarmed = s.alarms.filter((a) => a.error || Object.values(a.states ?? {}).some((x) => x !== "OK"));
    if (s.alarms.length)
      lines.push(
        `      alarm polls: ${s.alarms.length}${alarmed.length ? `, not OK: ${alarmed.length} (last: ${JSON.stringify(alarmed.at(-1)?.states ?? alarmed.at(-1)?.error)})` : ", all OK"}`,
      );
  }
  for (const rb of rep.rollback.phases) {
    lines.push(
      `↩ rollback ${rb.phase.padEnd(9)} (${rb.reason}) gate ${rb.gate}, update ${rb.update.version} ${rb.update.result}`,
    );
    for (const ch of rb.changes)
      lines.push(`      ${ch.op.padEnd(8)} ${ch.type} ${ch.name}${ch.error ? `  ✗ ${ch.error}` : ""}`);
  }
  const rs = rep.rollback;
  if (rs.trafficRestoredAfterSeconds !== undefined)
    lines.push(
      `↩ traffic restored ${rs.trafficRestoredAfterSeconds}s after the trigger by ${rs.restoredBy === "listener" ? "one ModifyListener call" : "the rollback's up"}${rs.fastRestoreError ? ` (direct call: ${rs.fastRestoreError})` : ""}; calls before: ${rs.criticalPathCalls?.join(" → ") || "none"}`,
    );
  const sent = rep.notifications.filter((n) => !n.error).length;
  if (rep.notifications.length)
    lines.push(
      `✉ ${sent} notification(s) sent${sent < rep.notifications.length ? `, ${rep.notifications.length - sent} failed` : ""}`,
    );
  const f = rep.final;
  lines.push(
    "",
    `Final: ${rep.result} (exit ${rep.exitCode}); traffic blue ${f.weights.blue}% / green ${f.weights.green}%; images blue ${f.images.blue}, green ${f.images.green}; ${f.locked ? "STACK LOCKED" : "stack unlocked"}; ${f.lease ? `lease held by ${f.lease}` : "no lease held"}; phase ${f.phase}`,
  );
  if (f.release) lines.push(`Deployed release keys: ${describeKeys(f.release)}`);
  if (rep.secretLeaks.length) lines.push(`✗ secret values found in: ${rep.secretLeaks.join(", ")}`);
  lines.push(
    `(${rep.timing.updates} updates, ${rep.timing.virtualMinutes} virtual minutes, ${rep.timing.wallMs} ms wall)`,
  );
  return lines.join("\n");
}

/** `rollout plan`: each stage's release-key change and the resources its `up` touches (the twin, no alarms). */
export function renderPlanText(rep: RehearsalReport): string {
  const lines = [`Plan of ${rep.image} on ${rep.stack} (offline, from the stack file; nothing is changed)`];
  if (rep.result === "refused") lines.push(`  ✗ start would be refused: ${rep.commands[0]?.message ?? ""}`);
  for (const s of rep.stages) {
    lines.push(
      `${s.id.padEnd(14)} ${s.configChange.length ? `config: ${s.configChange.join(", ")}` : "(no config change)"}  gate ${s.gate}`,
    );
    for (const ch of s.changes) lines.push(`    ${ch.op.padEnd(8)} ${ch.type} ${ch.name}`);
  }
  return lines.join("\n");
}

export function renderRehearsalMarkdown(rep: RehearsalReport): string {
  const rows = rep.stages.map(
    (s) =>
      `| \`${s.id}\` | ${s.gate} | ${s.completed ? "✓" : "—"} | ${s.configChange.join(", ") || "—"} | ${s.changes.map((c) => `${c.op} ${c.name}`).join("<br>") || "—"} |`,
  );
  const rb = rep.rollback.phases.map(
    (x) =>
      `| rollback \`${x.phase}\` | ${x.gate} | ${x.update.result} | ${x.reason} | ${x.changes.map((c) => `${c.op} ${c.name}`).join("<br>") || "—"} |`,
  );
  return [
    `## Rehearsal: \`${rep.image}\` on \`${rep.stack}\` — ${rep.result} (exit ${rep.exitCode})`,
    "",
    "| Stage | Gate | Done | Release keys changed | Resource changes |",
    "|---|---|---|---|---|",
    ...rows,
    ...rb,
    "",
    `Final traffic: blue ${rep.final.weights.blue}% / green ${rep.final.weights.green}%, stack ${rep.final.locked ? "**locked**" : "unlocked"}, phase ${rep.final.phase}.`,
  ].join("\n");
}
