/** Fakes of the driver's ports: a stack that records every config and up, alarms on a schedule, a clock. */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { loadStackFiles } from "../../gate/stackfiles";
import { type StructuredConfig, toStructured } from "../../rollout/config-state";
import type { DriverDeps, GateCheck } from "../../rollout/driver";
import { Ledger } from "../../rollout/ledger";
import {
  type AlarmSource,
  type AlarmState,
  type Clock,
  StackError,
  type StackOps,
  type UpdateRecord,
  type UpResult,
} from "../../rollout/ports";
import { ROOT, type StackName } from "./stacks";

export class FakeClock implements Clock {
  constructor(public ms: number) {}
  now(): Date {
    return new Date(this.ms);
  }
  async sleep(ms: number): Promise<void> {
    this.ms += ms;
  }
}

export interface UpCall {
  message: string;
  at: number;
  config: StructuredConfig;
}

export class FakeStack implements StackOps {
  config: StructuredConfig;
  ups: UpCall[] = [];
  setCalls = 0;
  records: UpdateRecord[] = [];
  /** Return an error message to make that up fail. */
  failUp?: (call: UpCall) => string | undefined;
  /** Runs during an up (e.g. the smoke test the real up would run); throwing fails the up. */
  duringUp?: (call: UpCall) => Promise<void>;
  /** An up that never returns (the driver process is killed while it runs). */
  hangOn?: (call: UpCall) => boolean;
  locked = false;

  constructor(
    readonly stack: string,
    config: StructuredConfig,
    private readonly clock: FakeClock,
  ) {
    this.config = structuredClone(config);
  }

  async getConfig(): Promise<StructuredConfig> {
    return structuredClone(this.config);
  }
  async setConfig(values: StructuredConfig): Promise<void> {
    this.setCalls++;
    Object.assign(this.config, structuredClone(values));
  }
  async removeConfig(keys: string[]): Promise<void> {
    for (const k of keys) delete this.config[k];
  }
  async up(message: string): Promise<UpResult> {
    if (this.locked)
      throw new StackError("locked", `stack ${this.stack} is locked by another update. Nothing was changed.`);
    const call = { message, at: this.clock.ms, config: structuredClone(this.config) };
    this.ups.push(call);
    if (this.hangOn?.(call)) await new Promise(() => undefined);
    const version = this.records.length + 1;
    try {
      if (this.duringUp) await this.duringUp(call);
      const fail = this.failUp?.(call);
      if (fail) throw new StackError("update-failed", fail);
    } catch (e) {
      this.records.push({
        version,
        result: "failed",
        startTime: new Date(call.at),
        config: call.config,
        kind: "update",
        message,
      });
      throw e;
    }
    this.records.push({
      version,
      result: "succeeded",
      startTime: new Date(call.at),
      config: call.config,
      kind: "update",
      message,
    });
    return {};
  }
  async history(): Promise<UpdateRecord[]> {
    return structuredClone(this.records).reverse();
  }
}

/** Alarms whose state is a function of the alarm name and the fake time. */
export class FakeAlarms implements AlarmSource {
  polls: { at: number; names: string[] }[] = [];
  constructor(
    private readonly clock: FakeClock,
    public state: (name: string, at: number) => AlarmState = () => "OK",
  ) {}
  async states(names: string[]): Promise<Record<string, AlarmState>> {
    this.polls.push({ at: this.clock.ms, names });
    return Object.fromEntries(names.map((n) => [n, this.state(n, this.clock.ms)]));
  }
}

export function stackConfig(stack: StackName, overrides: Record<string, unknown> = {}): StructuredConfig {
  const flat = loadStackFiles(ROOT, stack, overrides).config;
  return toStructured(Object.fromEntries(Object.entries(flat).map(([k, v]) => [k, { value: v }])));
}

export const goGate: GateCheck = async () => ({ decision: "go", violations: [] });

export interface Harness {
  deps: DriverDeps;
  stack: FakeStack;
  alarms: FakeAlarms;
  clock: FakeClock;
  ledger: Ledger;
  logs: string[];
}

export function harness(
  stack: StackName,
  start: string,
  overrides: Record<string, unknown> = {},
  dir = mkdtempSync(path.join(tmpdir(), "rollout-")),
): Harness {
  const clock = new FakeClock(Date.parse(start));
  const fake = new FakeStack(stack, stackConfig(stack, overrides), clock);
  const alarms = new FakeAlarms(clock);
  const ledger = new Ledger(path.join(dir, "ledger.jsonl"));
  const logs: string[] = [];
  return {
    stack: fake,
    alarms,
    clock,
    ledger,
    logs,
    deps: {
      stack: fake,
      alarms,
      certificates: { notAfter: async () => new Date(Date.parse(start) + 200 * 86_400_000) },
      clock,
      ledger,
      gate: goGate,
      progressFile: path.join(dir, `${stack}.json`),
      who: "test-engineer",
      log: (l) => logs.push(l),
    },
  };
}
