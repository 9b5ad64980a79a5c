/**
 * The twin world: one stack's backend, engine, cloud, application, CloudWatch and release store on a
 * virtual clock, seeded from the project's stack file as if it had been deployed. Driver processes get
 * ports bound to them (a killed process stops dead). The rehearsal and the driver's tests run on it.
 */
import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { LABEL, parseImmutableImage, TAG } from "@app-rollout/shared";
import { COLORS, type Color } from "../../components/blue-green";
import type { ReleaseKeys } from "../../config/release-keys";
import type { AppConfig } from "../../config/schema";
import type { Evaluator } from "../../gate/evaluator";
import { gateViolations, runGate } from "../../gate/run";
import { runSmokeTest, sender } from "../../smoke/check";
import { readOpsSummary } from "../../smoke/checks";
import { parseChecks } from "../../smoke/cli";
import { awsError } from "../aws-errors";
import { checkoutKeys, composeConfig, composePolicyConfig } from "../compose";
import type { LedgerEntry } from "../model/ledger";
import type { ReleaseState, RolloutStatus } from "../model/status";
import type {
  AlarmSource,
  AppProbe,
  CertificateSource,
  Notifier,
  RolloutStore,
  SnapshotStore,
  StackOps,
  TrafficControl,
} from "../ports";
import { type DriverDeps, topologyOf } from "../run";
import { MemoryReleaseStore } from "../store/memory";
import { type ColorBehaviour, TwinApp } from "./app";
import { type StateResource, TwinBackend } from "./backend";
import { TwinClock, TwinProcess } from "./clock";
import { type JobResult, type JobSpec, LISTENER, TwinCloud } from "./cloud";
import { type AlarmDefinition, type FaultPlan, type MinuteSample, TwinCloudWatch } from "./cloudwatch";
import { TwinDatabase } from "./database";
import { type EngineHooks, TwinEngine } from "./engine";
import { serviceAccountMay } from "./iam";
import { reachable } from "./network";
import { TwinStack } from "./stack";
import { readSecureValues, setSecret } from "./stackfile";

export interface WorldOptions {
  /** Project directory: Pulumi.yaml, the program, the policy pack, the stack files ("git"). */
  dir: string;
  stack: string;
  /** Virtual time the world starts at. @default the start of the stack's release window */
  start?: Date;
  evaluator: Evaluator;
  /** Behaviour of each color at a time (the scenario). */
  behaviour?: (color: Color, ms: number, world: TwinWorld) => ColorBehaviour;
  /** Colors reporting no datapoints at a time. */
  silent?: (color: Color, ms: number, world: TwinWorld) => boolean;
  /** What the worker's metrics say at a time (it publishes only if its role allows it). @default backlog 25, no failures */
  workerValues?: (ms: number, world: TwinWorld) => { backlog?: number; failedJobs?: number } | null;
  /** What the ops summary counters gained by `ms` (total since the start), by dotted counter. */
  opsIncrease?: (ms: number, world: TwinWorld) => Record<string, number>;
  /** Jobs per minute arriving for the worker (its backlog grows by this while paused). @default 10 */
  enqueuePerMinute?: number;
  /** Requests per minute reaching the load balancer. @default 1200 */
  trafficPerMinute?: number;
  faults?: FaultPlan;
  /** IAM actions the driver's role is denied (e.g. `cloudwatch:GetMetricData`). */
  deniedApis?: string[];
  /** Alarm names hidden from DescribeAlarms (they do not exist). */
  missingAlarms?: string[];
  /** A provider error for the first changing step of an update (by update message), or nothing. */
  providerError?: (message: string) => string | undefined;
  /** Migrations that fail (by image). */
  failingMigrations?: (image: string) => string | undefined;
  /**
   * SQL the migration of an image applies to the twin's database (rollout/twin/database.ts). When set, the
   * db-users, migration and integrity-check Jobs run against a real Postgres; otherwise they just succeed.
   */
  migrationSql?: (image: string) => string | undefined;
  /** Secrets set in the stack file before the first deployment (`pulumi config set --secret`), by key. */
  secrets?: Record<string, string>;
  hooks?: EngineHooks;
}

const WHO = "twin-seed";

export class TwinWorld {
  readonly clock: TwinClock;
  readonly backend = new TwinBackend();
  readonly cloud: TwinCloud;
  readonly engine: TwinEngine;
  readonly app: TwinApp;
  readonly cloudwatch: TwinCloudWatch;
  readonly store: MemoryReleaseStore<RolloutStatus, ReleaseState>;
  /** The repository the runners check out ("git"): a private copy of the project's stack files. */
  readonly git: string;
  readonly processes: TwinProcess[] = [];
  readonly stacks: TwinStack[] = [];
  /** Every gate verdict the driver asked for. */
  readonly gateLog: {
    at: number;
    step: string;
    process: string;
    decision: string;
    violations: { policy: string; enforcement: string; message: string }[];
  }[] = [];
  /** When each update started, by message (the rehearsal resolves stage-relative times with it). */
  readonly updateStarts: { message: string; at: number; version: number }[] = [];
  /** What each image reports on /version (CI published it with that version). */
  readonly versions = new Map<string, string>();
  /** Temporary directories to remove on close. */
  private readonly dirs: string[] = [];
  private appPort = 0;
  hooks: EngineHooks;
  /** Kills the calling process right after an update with this message returned (a crash after `up`). */
  killAfterUpdate?: (message: string) => boolean;
  /** The app's bootstrap (admin) token, as Secrets Manager holds it: a secret no record may contain. */
  readonly adminToken = randomBytes(24).toString("hex");

  /** The ops summary: a baseline plus what the scenario adds per minute (app-wide counters). */
  opsCounters(ms: number): Record<string, unknown> {
    const add = this.o.opsIncrease?.(ms, this) ?? {};
    const v = (k: string, base: number) => base + Math.floor(add[k] ?? 0);
    return {
      searchJobs: { failed: v("searchJobs.failed", 3), completed: v("searchJobs.completed", 12_000) },
      policy: { timeouts: v("policy.timeouts", 1) },
      outbox: { pending: v("outbox.pending", 12) },
    };
  }

  /** Release notifications published to the alert topic (and the failed attempts). */
  readonly notifications: {
    at: number;
    kind: string;
    subject: string;
    body?: string;
    stage?: string;
    error?: string;
    topic?: string;
    severity?: string;
  }[] = [];
  /** The next SNS Publish calls that fail. */
  notifyFailures = 0;
  /** Every call a driver process made to the world, in order (the rehearsal's critical path). */
  readonly apiLog: { at: number; api: string }[] = [];
  /** ELBv2 calls of the driver (the fast traffic restore). */
  readonly elbCalls: { at: number; api: string; error?: string }[] = [];
  /** The next ModifyListener calls that fail. */
  listenerFailures = 0;
  /** DescribeAlarms throttles while this says so. */
  private throttling?: (ms: number) => boolean;

  private constructor(
    readonly o: WorldOptions,
    start: number,
  ) {
    this.clock = new TwinClock(start);
    this.git = this.tempDir("twin-git-");
    for (const f of ["Pulumi.yaml", `Pulumi.${o.stack}.yaml`]) cpSync(path.join(o.dir, f), path.join(this.git, f));
    this.cloud = new TwinCloud(this.region(), { now: () => this.clock.nowMs(), runJob: (job) => this.runJob(job) });
    this.hooks = o.hooks ?? {};
    this.engine = new TwinEngine({
      dir: o.dir,
      backend: this.backend,
      cloud: this.cloud,
      clock: this.clock,
      evaluator: o.evaluator,
      hooks: {
        onUpdate: (ctx) => {
          this.updateStarts.push(ctx);
          this.hooks.onUpdate?.(ctx);
        },
        afterStep: (ctx) => this.hooks.afterStep?.(ctx),
        providerError: (message) => this.o.providerError?.(message),
      },
    });
    this.app = new TwinApp({
      imageOf: (c) => this.imageOn(c),
      versionOf: (image) => this.versionOf(image),
      behaviour: (c, ms) => this.o.behaviour?.(c, ms, this) ?? {},
      now: () => this.clock.nowMs(),
      adminToken: () => this.adminToken,
      opsCounters: (ms) => this.opsCounters(ms),
    });
    this.cloudwatch = new TwinCloudWatch({
      now: () => this.clock.nowMs(),
      alarms: () => this.alarmDefinitions(),
      metrics: (ms) => this.metricsAt(ms),
      faults: o.faults,
    });
    this.store = new MemoryReleaseStore<RolloutStatus, ReleaseState>();
  }

  /** A world whose stack runs the project's stack file, deployed before `start` (an update outside any window check). */
  static async create(o: WorldOptions): Promise<TwinWorld> {
    const { config, keys } = checkoutKeys({ dir: o.dir }, o.stack);
    const start = o.start ?? new Date(config.release.window.start);
    const world = new TwinWorld(o, start.getTime() - 3600_000);
    world.appPort = await world.app.start();
    for (const [key, value] of Object.entries(o.secrets ?? {})) world.setSecret(key, value);
    for (const c of COLORS) {
      const image = keys.images[c];
      const commit = parseImmutableImage(image)?.commit;
      world.versions.set(
        image,
        commit && keys.commit.startsWith(commit.slice(0, 7)) ? keys.version : `0.0.0+${commit ?? c}`,
      );
    }
    await world.seed(keys);
    await world.clock.advanceTo(start.getTime());
    return world;
  }

  /** Deploys the stack file as it is (the state the rehearsal starts from) and records it as the first good release. */
  private async seed(keys: ReleaseKeys): Promise<void> {
    const proc = this.process("seed");
    const stack = new TwinStack(this.o.stack, this.engine, this.backend, proc);
    const composed = composeConfig({ dir: this.o.dir, stackDir: this.git }, this.o.stack, keys);
    const policy = composePolicyConfig(path.join(this.o.dir, "policy"), this.o.stack, { "release-window": "disabled" });
    let outputs: Record<string, unknown> | undefined;
    try {
      const out = await this.clock.drive(
        stack.up({ message: "initial deployment", configFile: composed.file, policyPackConfigFile: policy.file }),
      );
      outputs = out.outputs;
    } finally {
      composed.dispose();
      policy.dispose();
    }
    const now = this.clock.now().toISOString();
    const lease = await this.store.acquireLease(
      this.o.stack,
      { runId: "seed", command: "apply", who: WHO, host: "twin", pid: 0 },
      this.clock.now(),
    );
    if (!lease.acquired) throw new Error("twin: seed lease");
    // As the driver's bootstrap `apply` would: the deployed keys and the stack outputs it needs.
    const topology = topologyOf(outputs);
    await this.store.save(this.o.stack, lease.lease.epoch, {
      release: { keys, updatedAt: now, runId: "seed", ...(topology ? { topology } : {}) },
    });
    await this.store.releaseLease(this.o.stack, lease.lease.epoch);
    const entry: LedgerEntry = {
      id: "seed:apply",
      runId: "seed",
      kind: "apply",
      outcome: "applied",
      stack: this.o.stack,
      who: WHO,
      startedAt: now,
      endedAt: now,
      release: keys.version,
      from: keys,
      to: keys,
      stagesReached: [],
    };
    await this.store.appendLedger(this.o.stack, { ...entry });
  }

  private tempDir(prefix: string): string {
    const d = mkdtempSync(path.join(tmpdir(), prefix));
    this.dirs.push(d);
    return d;
  }

  region(): string {
    const text = readFileSync(path.join(this.git, `Pulumi.${this.o.stack}.yaml`), "utf8");
    return /aws:region:\s*(\S+)/.exec(text)?.[1] ?? "eu-central-1";
  }

  /** The human-owned config as git has it now. */
  config(): AppConfig {
    return checkoutKeys({ dir: this.o.dir, stackDir: this.git }, this.o.stack).config;
  }

  /** A fresh runner's checkout of git: a new directory with the stack files as committed. */
  checkout(): string {
    const d = this.tempDir("twin-checkout-");
    for (const f of ["Pulumi.yaml", `Pulumi.${this.o.stack}.yaml`]) cpSync(path.join(this.git, f), path.join(d, f));
    return d;
  }

  /** Commits a change of the stack file to git (e.g. a secret set with `pulumi config set --secret`). */
  commit(edit: (text: string) => string): void {
    const f = path.join(this.git, `Pulumi.${this.o.stack}.yaml`);
    writeFileSync(f, edit(readFileSync(f, "utf8")));
  }

  /** `pulumi config set --secret <key> <value>`, committed to git. */
  setSecret(key: string, value: string): void {
    const full = key.includes(":") ? key : `app:${key}`;
    const ciphertext = this.backend.stack(this.o.stack).secrets.encrypt(value);
    this.commit((text) => setSecret(text, full, ciphertext));
  }

  /** `pulumi stack change-secrets-provider`, with git's stack file re-encrypted and committed. */
  changeSecretsProvider(): void {
    const { before, after } = this.backend.changeSecretsProvider(this.o.stack);
    const file = path.join(this.git, `Pulumi.${this.o.stack}.yaml`);
    for (const [key, ciphertext] of Object.entries(readSecureValues(file))) {
      const plain = before.decrypt(ciphertext);
      if (plain !== undefined) this.commit((text) => setSecret(text, key, after.encrypt(plain)));
    }
  }

  /** DescribeAlarms throttles between two scenario times. */
  throttleBetween(r: { within(ms: number, from: string, until: string): boolean }, from: string, until: string): void {
    this.throttling = (ms) => r.within(ms, from, until);
  }

  process(name: string): TwinProcess {
    const p = new TwinProcess(name, this.clock);
    this.processes.push(p);
    return p;
  }

  /** State resources of the stack. */
  state(): StateResource[] {
    return [...this.backend.stack(this.o.stack).resources.values()];
  }

  imageOn(color: Color): string | undefined {
    const d = this.state().find(
      (r) =>
        r.type === "kubernetes:apps/v1:Deployment" && (r.inputs.metadata as { name?: string })?.name === `api-${color}`,
    );
    const spec = d?.inputs.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined;
    return spec?.template?.spec?.containers?.[0]?.image;
  }

  versionOf(image: string): string {
    return this.versions.get(image) ?? `0.0.0+${parseImmutableImage(image)?.commit ?? "unknown"}`;
  }

  /** Weights of the production listener in effect at `ms` (from the cloud's listener log). */
  weightsAt(ms: number): Record<Color, number> {
    const byArn = this.targetGroupColors();
    let inputs: Record<string, unknown> | undefined;
    for (const e of this.cloud.listenerLog) {
      const tags = (e.inputs.tags ?? {}) as Record<string, string>;
      if (e.at <= ms && tags[TAG.role] === "production") inputs = e.inputs;
    }
    const out: Record<Color, number> = { blue: 0, green: 0 };
    const groups =
      (inputs?.defaultActions as { forward?: { targetGroups?: { arn: string; weight: number }[] } }[] | undefined)?.[0]
        ?.forward?.targetGroups ?? [];
    for (const g of groups) {
      const c = byArn.get(g.arn)?.color;
      if (c) out[c] += g.weight;
    }
    return out;
  }

  private targetGroupColors(): Map<string, { color: Color; suffix: string }> {
    const out = new Map<string, { color: Color; suffix: string }>();
    for (const r of this.state().filter((x) => x.type === "aws:lb/targetGroup:TargetGroup")) {
      const color = ((r.inputs.tags ?? {}) as Record<string, string>)[TAG.color] as Color;
      const o = (r.outputs ?? {}) as { arn?: string; arnSuffix?: string };
      if (o.arn && o.arnSuffix) out.set(o.arn, { color, suffix: o.arnSuffix });
    }
    return out;
  }

  private replicas(color: Color): number {
    const d = this.state().find(
      (r) =>
        r.type === "kubernetes:apps/v1:Deployment" && (r.inputs.metadata as { name?: string })?.name === `api-${color}`,
    );
    const spec = d?.inputs.spec as { replicas?: number } | undefined;
    if (spec?.replicas !== undefined) return spec.replicas;
    const hpa = this.state().find(
      (r) =>
        r.type === "kubernetes:autoscaling/v2:HorizontalPodAutoscaler" &&
        (r.inputs.metadata as { name?: string })?.name === `api-${color}`,
    );
    return (hpa?.inputs.spec as { minReplicas?: number } | undefined)?.minReplicas ?? 1;
  }

  /** One minute of CloudWatch data: traffic split by the listener, errors and latency from each color's behaviour. */
  metricsAt(minuteStart: number): MinuteSample {
    const mid = minuteStart + 30_000;
    const weights = this.weightsAt(mid);
    const total = this.o.trafficPerMinute ?? 1200;
    const sample: MinuteSample = { targetGroups: {}, loadBalancers: {}, databases: {}, custom: [] };
    for (const { color, suffix } of this.targetGroupColors().values()) {
      const b = this.o.behaviour?.(color, mid, this) ?? {};
      const silent = this.o.silent?.(color, mid, this) ?? false;
      const requests = silent ? 0 : Math.round((total * weights[color]) / 100);
      sample.targetGroups[suffix] = {
        requests,
        target5xx: Math.round(requests * (b.errorRate ?? 0.001)),
        p95Seconds: requests > 0 ? (b.p95Seconds ?? 0.12) : undefined,
        healthyHosts: b.notReady ? 0 : this.replicas(color),
        unhealthyHosts: b.notReady ? this.replicas(color) : 0,
      };
    }
    sample.custom = this.workerMetrics(minuteStart);
    for (const r of this.state()) {
      if (r.type === "aws:lb/loadBalancer:LoadBalancer") {
        const suffix = (r.outputs as { arnSuffix?: string } | undefined)?.arnSuffix;
        if (suffix) sample.loadBalancers[suffix] = { requests: total, elb5xx: 0 };
      }
      if (r.type === "aws:rds/instance:Instance") {
        const id = String(r.inputs.identifier ?? "");
        sample.databases[id] = {
          cpuPercent: 35,
          freeStorageBytes: Number(r.inputs.allocatedStorage ?? 100) * 1024 ** 3 * 0.7,
          freeableMemoryBytes: 4 * 1024 ** 3,
          connections: 80,
        };
      }
    }
    return sample;
  }

  /**
   * What the worker publishes for a minute: the metrics its environment names (`Metrics__*`, the contract
   * the program passes), only while it runs and only if its IAM role allows `cloudwatch:PutMetricData` into
   * that namespace — otherwise PutMetricData is denied and nothing arrives. The backlog grows while the worker
   * is paused (jobs keep arriving) and drains once it runs again.
   */
  private workerMetrics(ms: number): MinuteSample["custom"] {
    const worker = this.state().find(
      (r) => r.type === "kubernetes:apps/v1:Deployment" && (r.inputs.metadata as { name?: string })?.name === "worker",
    );
    const spec = worker?.inputs.spec as
      | { replicas?: number; template?: { spec?: { containers?: { env?: { name: string; value?: string }[] }[] } } }
      | undefined;
    const backlog = this.workerBacklog(ms, Number(spec?.replicas ?? 0) > 0);
    if (!Number(spec?.replicas ?? 0)) return [];
    const env = new Map((spec?.template?.spec?.containers?.[0]?.env ?? []).map((e) => [e.name, e.value ?? ""]));
    const namespace = env.get("Metrics__Namespace");
    const values = this.o.workerValues?.(ms, this);
    if (!namespace || values === null) return [];
    if (!serviceAccountMay(this.state(), "worker", "cloudwatch:PutMetricData", { "cloudwatch:namespace": namespace }))
      return [];
    const dimensions = { Environment: env.get("Metrics__Dimensions__Environment") ?? "" };
    return [
      { metric: env.get("Metrics__JobBacklog"), value: values?.backlog ?? backlog },
      { metric: env.get("Metrics__FailedJobs"), value: values?.failedJobs ?? 0 },
      { metric: env.get("Metrics__PolicyTimeouts"), value: 0 },
    ]
      .filter((m): m is { metric: string; value: number } => Boolean(m.metric))
      .map((m) => ({ namespace, metricName: m.metric, dimensions, value: m.value }));
  }

  /** Jobs waiting: +`enqueuePerMinute` while the worker is paused, drained at 150/min once it runs. */
  private backlogState = { minute: -1, value: 25 };
  private workerBacklog(minuteStart: number, running: boolean): number {
    const b = this.backlogState;
    if (minuteStart <= b.minute) return b.value;
    const steps = b.minute < 0 ? 1 : Math.round((minuteStart - b.minute) / 60_000);
    const perMinute = this.o.enqueuePerMinute ?? 10;
    for (let k = 0; k < steps; k++) b.value = Math.max(25, b.value + perMinute - (running ? 150 : 0));
    b.minute = minuteStart;
    return b.value;
  }

  private alarmDefinitions(): AlarmDefinition[] {
    const out: AlarmDefinition[] = [];
    const hidden = new Set(this.o.missingAlarms ?? []);
    for (const p of this.cloud.physicals.values()) {
      if (p.retained || hidden.has(String(p.props.name ?? p.props.alarmName))) continue;
      if (p.type === "aws:cloudwatch/metricAlarm:MetricAlarm")
        out.push({ kind: "metric", name: String(p.props.name), inputs: p.props, createdAt: p.createdAt });
      if (p.type === "aws:cloudwatch/compositeAlarm:CompositeAlarm")
        out.push({ kind: "composite", name: String(p.props.alarmName), inputs: p.props, createdAt: p.createdAt });
    }
    return out;
  }

  /** The application database, when the scenario touches data (migrationSql). */
  private database?: TwinDatabase;

  /** A Kubernetes Job runs: migrations per scenario; smoke tests for real against the app, if the network lets them. */
  private async runJob(job: JobSpec): Promise<JobResult> {
    const component = job.labels[LABEL.component];
    if (this.o.migrationSql && !(component === "migration" && this.o.failingMigrations?.(job.image))) {
      this.database ??= new TwinDatabase((work) => this.clock.busy(work));
      const ran = this.database.run(component, job, this.o.migrationSql(job.image));
      if (ran) return ran;
    }
    if (component === "migration") {
      const failure = this.o.failingMigrations?.(job.image);
      return failure
        ? { ok: false, output: `migration failed: ${failure}`, durationMs: 90_000 }
        : { ok: true, output: "migrations applied", durationMs: 60_000 };
    }
    if (component === "smoke") return this.runSmoke(job);
    return { ok: true, output: "completed", durationMs: 10_000 };
  }

  private async runSmoke(job: JobSpec): Promise<JobResult> {
    const arg = (name: string) => job.args[job.args.indexOf(name) + 1];
    const url = new URL(arg("--url"));
    const deadlineMs = Number(arg("--deadline") ?? 300) * 1000;
    const started = this.clock.nowMs();
    const target = /^api-(blue|green)\./.exec(url.hostname)?.[1] as Color | undefined;
    const path = reachable(this.state(), job.labels, target, Number(url.port));
    if (!path.ok) {
      await this.clock.spend(deadlineMs);
      return { ok: false, output: `smoke test FAILED: ${url.origin} timed out (${path.why})`, durationMs: 0 };
    }
    // The pod's environment: a secretKeyRef needs the Secret External Secrets Operator keeps in sync (an
    // ExternalSecret with that target), else the container cannot start (CreateContainerConfigError).
    const env: Record<string, string> = {};
    for (const e of job.env) {
      if (e.value !== undefined) env[e.name] = e.value;
      else if (e.secretKeyRef) {
        const synced = this.state().some(
          (r) =>
            r.type.startsWith("kubernetes:external-secrets.io") &&
            (r.inputs.spec as { target?: { name?: string } } | undefined)?.target?.name === e.secretKeyRef?.name,
        );
        if (!synced)
          return {
            ok: false,
            output: `CreateContainerConfigError: secret "${e.secretKeyRef.name}" not found`,
            durationMs: 60_000,
          };
        if (e.secretKeyRef.key === "Auth__BootstrapToken") env[e.name] = this.adminToken;
      }
    }
    url.port = String(this.appPort);
    const r = await runSmokeTest({
      checks: parseChecks(env.SMOKE_CHECKS),
      adminToken: env.SMOKE_ADMIN_TOKEN,
      url: url.toString(),
      connectTo: "127.0.0.1",
      expectVersion: arg("--expect-version"),
      readyPath: arg("--ready-path"),
      livePath: arg("--live-path"),
      versionPath: arg("--version-path"),
      deadlineMs,
      intervalMs: 5_000,
      requestTimeoutMs: 5_000,
      now: () => this.clock.nowMs(),
      sleep: (ms) => this.clock.sleep(ms),
      track: (p) => this.clock.busy(p),
    });
    return { ok: r.ok, output: r.message, durationMs: Math.max(5_000, this.clock.nowMs() - started) };
  }

  /**
   * The twin's ELBv2 for the production listener: ModifyListener replaces the default actions of the
   * listener physical (the state keeps the old inputs: drift until the next up), DescribeListeners reads
   * them back. Unknown ARNs fail like ELBv2 (ListenerNotFound, TargetGroupNotFound); `listenerFailures`
   * makes the next ModifyListener calls fail.
   */
  private trafficControl(): TrafficControl {
    const fail = (api: string, name: string, message: string): never => {
      this.elbCalls.push({ at: this.clock.nowMs(), api, error: `${name}: ${message}` });
      this.log(`elasticloadbalancing:${api} (failed)`);
      throw Object.assign(new Error(message), { name });
    };
    return {
      forwardAll: async (t, color) => {
        this.deny("elasticloadbalancing:ModifyListener");
        if (this.listenerFailures > 0) {
          this.listenerFailures--;
          fail("ModifyListener", "ThrottlingException", "Rate exceeded");
        }
        const listener = this.state().find((r) => r.type === LISTENER && r.outputs?.arn === t.listenerArn);
        const p = listener?.physicalId ? this.cloud.physicals.get(listener.physicalId) : undefined;
        if (!p) return fail("ModifyListener", "ListenerNotFound", "One or more listeners not found");
        const groups = this.targetGroupColors();
        for (const c of COLORS)
          if (!groups.has(t.targetGroupArns[c]))
            fail("ModifyListener", "TargetGroupNotFound", `Target groups '${t.targetGroupArns[c]}' not found`);
        await this.clock.spend(400);
        p.props.defaultActions = [
          {
            type: "forward",
            forward: {
              targetGroups: COLORS.map((c) => ({ arn: t.targetGroupArns[c], weight: c === color ? 100 : 0 })),
              stickiness: { enabled: false, duration: 1 },
            },
          },
        ];
        this.cloud.listenerLog.push({ at: this.clock.nowMs(), urn: p.urn, inputs: structuredClone(p.props) });
        this.elbCalls.push({ at: this.clock.nowMs(), api: "ModifyListener" });
        this.log("elasticloadbalancing:ModifyListener");
        await this.clock.spend(200);
        this.elbCalls.push({ at: this.clock.nowMs(), api: "DescribeListeners" });
        this.log("elasticloadbalancing:DescribeListeners");
        return this.weightsAt(this.clock.nowMs());
      },
    };
  }

  /** SNS Publish to the alert topic the stack created (unknown topic: NotFound); `notifyFailures` fail first. */
  private notifier(): Notifier {
    return {
      notify: async (n, o) => {
        this.log("sns:Publish");
        this.deny("sns:Publish");
        const at = this.clock.nowMs();
        if (this.notifyFailures > 0) {
          this.notifyFailures--;
          this.notifications.push({ at, kind: n.kind, subject: o.subject, error: "InternalError" });
          throw Object.assign(new Error("Request could not be completed"), { name: "InternalErrorException" });
        }
        const topic = this.state().find((r) => r.type === "aws:sns/topic:Topic" && r.outputs?.arn === o.topicArn);
        if (!topic) {
          this.notifications.push({ at, kind: n.kind, subject: o.subject, error: "NotFound" });
          throw Object.assign(new Error("Topic does not exist"), { name: "NotFoundException" });
        }
        await this.clock.spend(100);
        this.notifications.push({
          at,
          kind: n.kind,
          subject: o.subject,
          body: o.body,
          stage: n.stage,
          topic: String(topic.inputs.name),
          severity: o.severity,
        });
      },
    };
  }

  private log(api: string): void {
    this.apiLog.push({ at: this.clock.nowMs(), api });
  }

  /** Pre-release snapshots earlier releases left retained in AWS (oldest first, a day apart). */
  addRetainedReleaseSnapshots(n: number): void {
    const db = this.state().find((r) => r.type === "aws:rds/instance:Instance");
    const identifier = String(db?.inputs.identifier ?? "");
    for (let i = 0; i < n; i++)
      this.cloud.outOfBand(
        "aws:rds/snapshot:Snapshot",
        {
          dbInstanceIdentifier: identifier,
          dbSnapshotIdentifier: `${identifier}-pre-1-${i}-0-0000${i}0${i}`,
          tags: { purpose: "pre-release", release: `1.${i}.0` },
        },
        this.clock.nowMs() - (n + 10 - i) * 86_400_000,
      );
  }

  /** The release store as the driver sees it, every call recorded (the rehearsal's critical path). */
  private loggedStore(): RolloutStore {
    const store = this.store as RolloutStore;
    return new Proxy(store, {
      get: (target, prop, receiver) => {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== "function") return v;
        return (...args: unknown[]) => {
          this.log(`store:${String(prop)}`);
          return (v as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  /** IAM denies the driver's role this action (scenario `deniedApis`): the SDK's AccessDenied. */
  private deny(action: string): void {
    if (this.o.deniedApis?.includes(action))
      throw Object.assign(
        new Error(`User: arn:aws:sts::123456789012:assumed-role/ci-release is not authorized to perform: ${action}`),
        {
          name: "AccessDenied",
        },
      );
  }

  /**
   * The production URL as the driver reaches it: requests go to the color the listener sends most traffic
   * to; the admin token comes from the twin's Secrets Manager (`secretsmanager:GetSecretValue`).
   */
  private appProbe(): AppProbe {
    const via = () => {
      const w = this.weightsAt(this.clock.nowMs());
      const color: Color = w.blue >= w.green ? "blue" : "green";
      return sender(new URL(`http://api-${color}.twin.svc.cluster.local:${this.appPort}/`), {
        connectTo: "127.0.0.1",
        requestTimeoutMs: 5_000,
        track: (p) => this.clock.busy(p),
      });
    };
    const config = () => this.config();
    return {
      ready: async () => {
        this.log("https:GET ready");
        const path = config().api.healthPaths.ready;
        const r = await via()({ method: "GET", path });
        return r.status === 200
          ? { ok: true, detail: `${path} 200` }
          : { ok: false, detail: `${path} answered HTTP ${r.status}` };
      },
      version: async () => {
        this.log("https:GET version");
        const r = await via()({ method: "GET", path: config().api.healthPaths.version });
        if (r.status !== 200) throw new Error(`${config().api.healthPaths.version} answered HTTP ${r.status}`);
        return JSON.parse(r.body) as { service?: string; version?: string };
      },
      opsSummary: async () => {
        this.log("secretsmanager:GetSecretValue");
        try {
          this.deny("secretsmanager:GetSecretValue");
        } catch (e) {
          throw awsError(e, "Secrets Manager GetSecretValue");
        }
        this.log("https:GET ops summary");
        return readOpsSummary(via(), config().checks.opsSummary.path, this.adminToken);
      },
    };
  }

  /**
   * RDS manual snapshots of an instance, live or retained on delete (the cloud keeps both), with their
   * tags. Deleting one the stack still manages is a defect of the caller (the twin throws); a missing one
   * fails like RDS (`DBSnapshotNotFoundFault`).
   */
  private snapshotStore(): SnapshotStore {
    const ofInstance = (db: string) =>
      [...this.cloud.physicals.values()].filter(
        (p) => p.type === "aws:rds/snapshot:Snapshot" && String(p.props.dbInstanceIdentifier) === db,
      );
    return {
      list: async (db) => {
        this.log("rds:DescribeDBSnapshots");
        return ofInstance(db).map((p) => ({
          id: String(p.props.dbSnapshotIdentifier),
          createdAt: new Date(p.createdAt),
          tags: (p.props.tags ?? {}) as Record<string, string>,
        }));
      },
      delete: async (id) => {
        this.log("rds:DeleteDBSnapshot");
        try {
          this.deny("rds:DeleteDBSnapshot");
        } catch (e) {
          throw awsError(e, `RDS DeleteDBSnapshot ${id}`);
        }
        const p = [...this.cloud.physicals.values()].find(
          (x) => x.type === "aws:rds/snapshot:Snapshot" && String(x.props.dbSnapshotIdentifier) === id,
        );
        if (!p) throw Object.assign(new Error(`DBSnapshot ${id} not found`), { name: "DBSnapshotNotFoundFault" });
        if (!p.retained) throw new Error(`twin: the rotation deleted ${id}, which the stack still manages`);
        this.cloud.physicals.delete(p.id);
        this.cloud.forgetName(p);
      },
    };
  }

  /** The driver's dependencies for a process: every port bound to it. */
  driverDeps(proc: TwinProcess, o: { who: string; log: (line: string) => void; checkout?: string }): DriverDeps {
    const stack = new TwinStack(this.o.stack, this.engine, this.backend, proc);
    this.stacks.push(stack);
    const certificates: CertificateSource = { notAfter: async () => new Date(this.clock.nowMs() + 200 * 86_400_000) };
    const evaluator = this.o.evaluator;
    return {
      stack: proc.bind(this.stackOps(stack)),
      alarms: proc.bind(this.alarmSource()),
      traffic: proc.bind(this.trafficControl()),
      notifier: proc.bind(this.notifier()),
      app: proc.bind(this.appProbe()),
      snapshots: proc.bind(this.snapshotStore()),
      certificates: proc.bind(certificates),
      clock: proc.clockView(),
      store: proc.bind(this.loggedStore()),
      checkout: { dir: this.o.dir, stackDir: o.checkout ?? this.checkout() },
      packDir: path.join(this.o.dir, "policy"),
      plan: this.planOf(proc, evaluator),
      gate: this.gateOf(proc, evaluator),
      who: o.who,
      log: o.log,
      // Deterministic per process and virtual time: the same scenario gives the same ids (and attempts).
      runId: () => `${Math.floor(this.clock.nowMs() / 1000).toString(36)}${this.processes.indexOf(proc)}`,
    };
  }

  /** `pulumi up`, the history and cancellation of a process's stack (an update may be followed by a kill). */
  private stackOps(stack: TwinStack): StackOps {
    return {
      stack: stack.stack,
      up: async (req) => {
        this.log(`pulumi up (${req.message})`);
        const out = await stack.up(req);
        if (this.killAfterUpdate?.(req.message)) return new Promise<never>(() => undefined);
        return out;
      },
      history: (page, size) => stack.history(page, size),
      cancel: () => stack.cancel(),
    };
  }

  /** CloudWatch DescribeAlarms and GetMetricData as the driver calls them (IAM denials, throttling). */
  private alarmSource(): AlarmSource {
    const alarms: AlarmSource = {
      states: async (names) => {
        this.log("cloudwatch:DescribeAlarms");
        this.deny("cloudwatch:DescribeAlarms");
        if (this.throttling?.(this.clock.nowMs())) {
          this.cloudwatch.calls.push({ at: this.clock.nowMs(), names, error: "ThrottlingException: Rate exceeded" });
          throw Object.assign(new Error("Rate exceeded"), {
            name: "ThrottlingException",
            $metadata: { httpStatusCode: 400 },
          });
        }
        return this.cloudwatch.states(names);
      },
      requestCount: async (name, from, to) => {
        this.log("cloudwatch:GetMetricData");
        this.deny("cloudwatch:GetMetricData");
        if (this.throttling?.(this.clock.nowMs())) {
          this.cloudwatch.metricCalls.push({ at: this.clock.nowMs(), names: [name], error: "ThrottlingException" });
          throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
        }
        return this.cloudwatch.requestCount(name, from, to);
      },
    };
    // The real adapter (rollout/aws.ts) turns SDK errors into the driver's: the twin's do the same.
    return {
      states: (names: string[]) =>
        alarms.states(names).catch((e) => {
          throw awsError(e, "CloudWatch DescribeAlarms");
        }),
      requestCount: (name: string, from: Date, to: Date) =>
        alarms.requestCount(name, from, to).catch((e) => {
          throw awsError(e, "CloudWatch GetMetricData");
        }),
    };
  }

  /** The offline capture of a composed config, on the process (the program refusing the config throws). */
  private planOf(proc: TwinProcess, evaluator: Evaluator): DriverDeps["plan"] {
    return (composed) =>
      proc.run(async () => {
        const r = await this.clock.busy(evaluator.plan(composed.files));
        if (!r.ok) throw new Error(`twin: the program refused the config: ${r.problems.map((p) => p.key).join(", ")}`);
        return r.plan.resources;
      });
  }

  /** The readiness gate on a composed config, on the process; every verdict is kept in `gateLog`. */
  private gateOf(proc: TwinProcess, evaluator: Evaluator): DriverDeps["gate"] {
    return (composed, at, policyConfigFile, step) =>
      proc.run(async () => {
        const r = await this.clock.busy(
          runGate({ dir: this.o.dir, stack: this.o.stack, files: composed.files, at, policyConfigFile, evaluator }),
        );
        const verdict = {
          decision: r.decision,
          violations: gateViolations(r),
        };
        this.gateLog.push({ at: at.getTime(), step, process: proc.name, ...verdict });
        return verdict;
      });
  }

  close(): void {
    this.app.close();
    // The Postgres of the twin (if a Job used it): an open PGlite keeps its backend's timers armed.
    this.database?.close().catch(() => undefined);
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

export { LISTENER };
