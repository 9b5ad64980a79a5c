/**
 * The twin's AWS account and Kubernetes cluster: the physical resources behind the stack's state.
 *
 * What it enforces (rules and error texts from rollout/twin/resource-rules.ts, each cited there):
 * - physical names are unique in their scope (account + region, S3 globally, namespace + kind) and a
 *   resource retained on delete keeps its name: creating it again fails as AWS does (e.g. a pre-release
 *   snapshot re-created by a rollback: DBSnapshotAlreadyExists);
 * - deletion protection refuses deletes (RDS, ALB);
 * - a restore needs its source: the snapshot or the instance it restores from exists in the account;
 * - a Kubernetes Job runs when created (migration, smoke test) and pulumi-kubernetes waits for it: a failed
 *   Job fails the step and stays failed — a later `up` re-awaits it and fails again unless the Job is
 *   replaced (`pulumi.com/replaceUnready`);
 * - every change of a listener is kept with its time, so the traffic model knows the weights in effect.
 */
import type { CapturedResource } from "../../gate/capture";
import * as rules from "./resource-rules";

export class CloudError extends Error {
  override name = "CloudError";
}

export interface Physical {
  id: string;
  urn: string;
  type: string;
  /** Uniqueness scope key of its physical name (undefined: auto-named, never collides). */
  scope?: string;
  name?: string;
  props: Record<string, unknown>;
  createdAt: number;
  /** Removed from the stack's state but kept in the account (retainOnDelete). */
  retained?: boolean;
  deletedAt?: number;
  /** Jobs: how the run ended. */
  job?: { ok: boolean; output: string };
}

export interface JobSpec {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  image: string;
  args: string[];
  /** The container's environment: plain values, and secretKeyRef references (resolved when the pod starts). */
  env: { name: string; value?: string; secretKeyRef?: { name: string; key: string } }[];
}

export interface JobResult {
  ok: boolean;
  output: string;
  /** Virtual time the Job ran. */
  durationMs: number;
}

export interface CloudHooks {
  now(): number;
  /** Runs a Kubernetes Job (the world's app and network model). */
  runJob(job: JobSpec): Promise<JobResult>;
}

const K8S_JOB = "kubernetes:batch/v1:Job";
export const LISTENER = "aws:lb/listener:Listener";

/** Virtual time a provider operation takes (order of magnitude of the real thing). */
export function operationMs(type: string, op: "create" | "update" | "delete"): number {
  if (type === "aws:rds/instance:Instance") return op === "delete" ? 8 * 60_000 : 12 * 60_000;
  if (type === "aws:rds/snapshot:Snapshot") return op === "create" ? 4 * 60_000 : 30_000;
  if (type === "kubernetes:apps/v1:Deployment") return 90_000;
  if (type === LISTENER) return 3_000;
  if (type.startsWith("kubernetes:")) return 2_000;
  return 5_000;
}

function labelsOf(inputs: Record<string, unknown>): Record<string, string> {
  return ((inputs.metadata as { labels?: Record<string, string> } | undefined)?.labels ?? {}) as Record<string, string>;
}

function jobSpec(r: CapturedResource): JobSpec {
  const i = r.inputs as {
    metadata?: { name?: string; namespace?: string };
    spec?: { template?: { spec?: { containers?: { image?: string; args?: string[]; env?: JobSpec["env"] }[] } } };
  };
  const c = i.spec?.template?.spec?.containers?.[0] ?? {};
  const env = (c.env ?? []).map((e) => ({
    name: e.name,
    value: e.value,
    secretKeyRef: (e as { valueFrom?: { secretKeyRef?: { name: string; key: string } } }).valueFrom?.secretKeyRef,
  }));
  return {
    name: String(i.metadata?.name ?? r.name),
    namespace: String(i.metadata?.namespace ?? "default"),
    labels: labelsOf(r.inputs),
    image: String(c.image ?? ""),
    args: (c.args ?? []).map(String),
    env,
  };
}

export class TwinCloud {
  readonly physicals = new Map<string, Physical>();
  private readonly names = new Map<string, string>();
  private seq = 0;
  /** Listener default actions over time (the traffic model reads the weights in effect). */
  readonly listenerLog: { at: number; urn: string; inputs: Record<string, unknown> }[] = [];
  /** Every Job that ran: migrations and smoke tests, with the image and what it checked. */
  readonly jobRuns: {
    at: number;
    name: string;
    labels: Record<string, string>;
    image: string;
    args: string[];
    ok: boolean;
    output: string;
  }[] = [];

  constructor(
    readonly region: string,
    private readonly hooks: CloudHooks,
  ) {}

  private register(r: CapturedResource): Physical {
    const name = rules.physicalNameOf(r.type, r.inputs);
    const scope = name === undefined ? undefined : rules.nameScope(r.type, r.inputs, this.region);
    if (scope !== undefined && this.names.has(scope)) {
      const holder = this.physicals.get(this.names.get(scope)!);
      throw new CloudError(
        `${rules.duplicateNameError(r.type, name!)}${holder?.retained ? " (a resource retained on delete still has this name)" : ""}`,
      );
    }
    const p: Physical = {
      id: `${r.name}-${(++this.seq).toString(36).padStart(4, "0")}`,
      urn: r.urn,
      type: r.type,
      scope,
      name,
      props: structuredClone(r.inputs),
      createdAt: this.hooks.now(),
    };
    this.physicals.set(p.id, p);
    if (scope !== undefined) this.names.set(scope, p.id);
    return p;
  }

  /** Creates the physical resource; returns how long it took (virtual ms). Throws `CloudError`. */
  async create(r: CapturedResource): Promise<{ physical: Physical; ms: number; initError?: string }> {
    this.requireRestoreSource(r);
    const physical = this.register(r);
    if (r.type === LISTENER)
      this.listenerLog.push({ at: this.hooks.now(), urn: r.urn, inputs: structuredClone(r.inputs) });
    if (r.type !== K8S_JOB) return { physical, ms: operationMs(r.type, "create") };
    const spec = jobSpec(r);
    const result = await this.hooks.runJob(spec);
    physical.job = { ok: result.ok, output: result.output };
    this.jobRuns.push({
      at: this.hooks.now(),
      name: spec.name,
      labels: spec.labels,
      image: spec.image,
      args: spec.args,
      ok: result.ok,
      output: result.output,
    });
    return {
      physical,
      ms: result.durationMs,
      initError: result.ok ? undefined : `Job ${spec.name} failed: ${result.output}`,
    };
  }

  /** A restore from a snapshot or a point in time fails when its source is not in the account (deleted or never made). */
  private requireRestoreSource(r: CapturedResource): void {
    const source = rules.restoreSource(r.type, r.inputs);
    if (!source) return;
    const found = [...this.physicals.values()].some(
      (p) => p.type === source.type && p.deletedAt === undefined && p.props[source.nameInput] === source.id,
    );
    if (!found) throw new CloudError(source.error);
  }

  /** Updates in place; a failed Job is awaited again and still failed. */
  async update(p: Physical, r: CapturedResource): Promise<{ ms: number; initError?: string }> {
    p.props = structuredClone(r.inputs);
    if (r.type === LISTENER)
      this.listenerLog.push({ at: this.hooks.now(), urn: r.urn, inputs: structuredClone(r.inputs) });
    if (r.type === K8S_JOB && p.job && !p.job.ok)
      return { ms: 10_000, initError: `Job ${p.name ?? p.id} has failed and is not replaced: ${p.job.output}` };
    return { ms: operationMs(r.type, "update") };
  }

  /** Deletes; deletion protection (the physical's current setting) refuses. */
  delete(p: Physical): number {
    const rule = rules.ruleFor(p.type)?.deletionProtection;
    if (rule && p.props[rule.input] === true)
      throw new CloudError(rules.deletionProtectionError(p.type, p.name ?? p.id));
    p.deletedAt = this.hooks.now();
    this.physicals.delete(p.id);
    if (p.scope !== undefined && this.names.get(p.scope) === p.id) this.names.delete(p.scope);
    return operationMs(p.type, "delete");
  }

  /** A resource that exists in the account but in no state (made by an earlier stack or a person). */
  outOfBand(type: string, props: Record<string, unknown>, createdAt: number): Physical {
    const p: Physical = {
      id: `oob-${(++this.seq).toString(36).padStart(4, "0")}`,
      urn: "",
      type,
      props: structuredClone(props),
      createdAt,
      retained: true,
    };
    this.physicals.set(p.id, p);
    return p;
  }

  /** Deleted outside the stack (e.g. DeleteDBSnapshot of a retained snapshot): its name is free again. */
  forgetName(p: Physical): void {
    p.deletedAt = this.hooks.now();
    if (p.scope !== undefined && this.names.get(p.scope) === p.id) this.names.delete(p.scope);
  }

  /** The stack forgets the resource; it stays in the account, name and all. */
  retain(p: Physical): void {
    p.retained = true;
  }

  /** Physical resources retained on delete (kept in the account, no longer in any state). */
  retained(): Physical[] {
    return [...this.physicals.values()].filter((p) => p.retained);
  }
}
