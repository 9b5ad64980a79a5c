/**
 * The twin's CloudWatch: alarm states computed from the alarms' own definitions (as created in the twin
 * cloud) over a per-minute metric model, the way CloudWatch evaluates them — not scripted states.
 *
 * Modelled (CloudWatch User Guide, "Using Amazon CloudWatch alarms": evaluation periods, datapoints to
 * alarm, "Configuring how CloudWatch alarms treat missing data"; PutMetricAlarm / PutCompositeAlarm and
 * DescribeAlarms API references; ELB User Guide "CloudWatch metrics for your Application Load Balancer"):
 * - a new alarm is INSUFFICIENT_DATA until its first evaluation (a minute after creation);
 * - each evaluation looks at the last `evaluationPeriods` periods of `period` seconds that have data
 *   published (metrics arrive a minute late); ALARM when at least `datapointsToAlarm` of them breach;
 * - missing datapoints follow `treatMissingData`: `missing` (default) — INSUFFICIENT_DATA when every
 *   period is missing; `notBreaching` — good; `breaching` — bad; `ignore` — the state is kept;
 * - ALB metrics are only reported when there is something to count: no requests → no `RequestCount`,
 *   `TargetResponseTime`; no 5xx → no `HTTPCode_*_5XX_Count` (hence FILL in metric math); host counts are
 *   reported every minute; application metrics exist only if someone publishes them;
 * - metric math (`metricQueries`): the expression's `returnData` series, with `FILL(m, v)` and arithmetic;
 *   a period where an operand is missing has no datapoint;
 * - a composite alarm is INSUFFICIENT_DATA only before its first evaluation, then ALARM when its rule is
 *   TRUE, else OK (`ALARM(x)`, `OK(x)`, `INSUFFICIENT_DATA(x)`, AND, OR, NOT, TRUE, FALSE);
 * - DescribeAlarms returns only alarms that exist: a missing name is absent from the answer;
 * - throttling (`ThrottlingException: Rate exceeded`) can be injected by call number.
 */
import type { AlarmState } from "../ports";

export interface AlarmDefinition {
  kind: "metric" | "composite";
  name: string;
  inputs: Record<string, unknown>;
  createdAt: number;
}

export interface TargetGroupMinute {
  requests: number;
  target5xx: number;
  /** Undefined when no request was served. */
  p95Seconds?: number;
  healthyHosts: number;
  unhealthyHosts: number;
}

/** One minute of metric data (what the services published for that minute). */
export interface MinuteSample {
  /** By target group `arnSuffix`. */
  targetGroups: Record<string, TargetGroupMinute>;
  /** By load balancer `arnSuffix`. */
  loadBalancers: Record<string, { requests: number; elb5xx: number }>;
  /** By DB instance identifier. */
  databases: Record<
    string,
    { cpuPercent: number; freeStorageBytes: number; freeableMemoryBytes: number; connections: number }
  >;
  /** Application metrics (PutMetricData). */
  custom: { namespace: string; metricName: string; dimensions: Record<string, string>; value: number }[];
}

export interface FaultPlan {
  /** DescribeAlarms calls (1-based) that throttle. */
  throttle?: { calls: number[]; windows?: { from: number; until: number }[] };
}

export interface CloudWatchDeps {
  now(): number;
  alarms(): AlarmDefinition[];
  metrics(minuteStart: number): MinuteSample;
  faults?: FaultPlan;
}

export interface DescribeCall {
  at: number;
  names: string[];
  result?: Record<string, AlarmState>;
  error?: string;
}

const MINUTE = 60_000;
/** Metrics are published about a minute after the minute they describe. */
const PUBLISH_DELAY_MS = MINUTE;

interface MetricStat {
  namespace?: string;
  metricName?: string;
  dimensions?: Record<string, string>;
  stat?: string;
  statistic?: string;
  extendedStatistic?: string;
  period?: number;
}

interface MetricQuery {
  id: string;
  expression?: string;
  metric?: MetricStat;
  returnData?: boolean;
}

export class TwinCloudWatch {
  readonly calls: DescribeCall[] = [];
  /** GetMetricData calls (evidence reads). */
  readonly metricCalls: (Omit<DescribeCall, "result"> & { requests?: number })[] = [];
  private readonly samples = new Map<number, MinuteSample>();
  private readonly lastState = new Map<string, AlarmState>();
  /**
   * Metric alarm states by the alarm's inputs object and evaluation minute. A state is a function of the
   * inputs and of published minutes only (metricState reads periods ending a minute before the evaluation,
   * and `sample` pins a minute once published), so it is computed once: a watch polls the same minute
   * several times and composites ask for their children again (5,555 evaluations of 1,415 distinct ones in
   * a prod rehearsal). Keyed by the inputs object: the twin cloud gives a resource a new one on every update
   * (cloud.ts `p.props = structuredClone(r.inputs)`) and never edits one in place. Not kept: a state that
   * `treatMissingData: ignore` carried over from the previous evaluation (it depends on history), and a
   * state of a minute after `now` (its minutes are not published yet).
   */
  private readonly metricStates = new WeakMap<object, Map<number, AlarmState>>();

  constructor(private readonly d: CloudWatchDeps) {}

  /** DescribeAlarms(AlarmNames): the states of the named alarms that exist. */
  async states(names: string[]): Promise<Record<string, AlarmState>> {
    const at = this.d.now();
    const n = this.calls.length + 1;
    const windows = this.d.faults?.throttle?.windows ?? [];
    if (this.d.faults?.throttle?.calls.includes(n) || windows.some((w) => at >= w.from && at < w.until)) {
      this.calls.push({ at, names, error: "ThrottlingException: Rate exceeded" });
      throw Object.assign(new Error("Rate exceeded"), {
        name: "ThrottlingException",
        $metadata: { httpStatusCode: 400 },
      });
    }
    const defs = new Map(this.d.alarms().map((a) => [a.name, a]));
    const result: Record<string, AlarmState> = {};
    for (const name of names) {
      const def = defs.get(name);
      if (def) result[name] = this.stateOf(def, defs, at);
    }
    this.calls.push({ at, names, result });
    return result;
  }

  /**
   * GetMetricData `Sum` of the `RequestCount` metric alarm `name` evaluates, over [from, to): only minutes
   * already published count (a minute's datapoint arrives about a minute after it ends); a minute without
   * requests has no datapoint. Throttled like DescribeAlarms inside throttle windows.
   */
  async requestCount(name: string, from: Date, to: Date): Promise<number | undefined> {
    const at = this.d.now();
    const windows = this.d.faults?.throttle?.windows ?? [];
    if (windows.some((w) => at >= w.from && at < w.until)) {
      this.metricCalls.push({ at, names: [name], error: "ThrottlingException: Rate exceeded" });
      throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
    }
    const def = this.d.alarms().find((a) => a.name === name && a.kind === "metric");
    if (!def) return undefined;
    const queries = (def.inputs.metricQueries as MetricQuery[] | undefined) ?? [];
    const stat =
      queries.map((q) => q.metric).find((m) => m?.metricName === "RequestCount") ??
      (def.inputs.metricName === "RequestCount" ? (def.inputs as MetricStat) : undefined);
    if (!stat) throw new Error(`alarm ${name} has no RequestCount query`);
    let total = 0;
    const first = Math.floor(from.getTime() / MINUTE) * MINUTE;
    for (let t = first; t < to.getTime() && t + MINUTE + PUBLISH_DELAY_MS <= at; t += MINUTE)
      total += minuteValue(this.sample(t), stat) ?? 0;
    this.metricCalls.push({ at, names: [name], requests: total });
    return total;
  }

  /**
   * When alarm `name` last entered ALARM at or before `at` (its state history: evaluations happen at minute
   * boundaries), or undefined when it is not in ALARM then. Reads the model without recording states.
   */
  enteredAlarmAt(name: string, at: number): number | undefined {
    const defs = new Map(this.d.alarms().map((a) => [a.name, a]));
    const def = defs.get(name);
    if (!def) return undefined;
    const saved = new Map(this.lastState);
    try {
      let t = Math.floor(at / MINUTE) * MINUTE;
      if (this.stateOf(def, defs, t) !== "ALARM") return undefined;
      for (let k = 0; k < 240 && this.stateOf(def, defs, t - MINUTE) === "ALARM"; k++) t -= MINUTE;
      return t;
    } finally {
      this.lastState.clear();
      for (const [k, v] of saved) this.lastState.set(k, v);
    }
  }

  /** The state of one alarm at `at` (also used by tests of the model). */
  stateOf(def: AlarmDefinition, defs: Map<string, AlarmDefinition>, at: number, depth = 0): AlarmState {
    const evaluatedAt = Math.floor(at / MINUTE) * MINUTE;
    if (evaluatedAt < def.createdAt + MINUTE) return "INSUFFICIENT_DATA";
    const state =
      def.kind === "composite"
        ? this.compositeState(String(def.inputs.alarmRule ?? "FALSE"), defs, at, depth)
        : this.metricStateOnce(def, evaluatedAt);
    this.lastState.set(def.name, state);
    return state;
  }

  private compositeState(rule: string, defs: Map<string, AlarmDefinition>, at: number, depth: number): AlarmState {
    if (depth > 5) return "INSUFFICIENT_DATA";
    const value = evaluateRule(rule, (fn, name) => {
      const child = defs.get(name);
      const s = child ? this.stateOf(child, defs, at, depth + 1) : "INSUFFICIENT_DATA";
      return s === fn;
    });
    return value ? "ALARM" : "OK";
  }

  private metricStateOnce(def: AlarmDefinition, evaluatedAt: number): AlarmState {
    let byMinute = this.metricStates.get(def.inputs);
    const held = byMinute?.get(evaluatedAt);
    if (held) return held;
    const { state, carried } = this.metricState(def, evaluatedAt);
    // A minute not reached yet (a test asking the model about the future) reads minutes `sample` has not
    // pinned: not kept either.
    if (!carried && evaluatedAt <= this.d.now()) {
      if (!byMinute) {
        byMinute = new Map();
        this.metricStates.set(def.inputs, byMinute);
      }
      byMinute.set(evaluatedAt, state);
    }
    return state;
  }

  /** `carried`: the state is the previous evaluation's (`treatMissingData: ignore` without data). */
  private metricState(def: AlarmDefinition, evaluatedAt: number): { state: AlarmState; carried?: boolean } {
    const i = def.inputs;
    const periodS = Number(i.period ?? periodOfQueries(i.metricQueries as MetricQuery[] | undefined) ?? 60);
    const periodMs = periodS * 1000;
    const n = Number(i.evaluationPeriods ?? 1);
    const m = Number(i.datapointsToAlarm ?? n);
    const threshold = Number(i.threshold ?? 0);
    const op = String(i.comparisonOperator ?? "GreaterThanThreshold");
    const treat = String(i.treatMissingData ?? "missing");
    const newestEnd = Math.floor((evaluatedAt - PUBLISH_DELAY_MS) / periodMs) * periodMs;
    const values: (number | undefined)[] = [];
    for (let k = n - 1; k >= 0; k--) values.push(this.periodValue(i, newestEnd - (k + 1) * periodMs, periodMs));
    const present = values.filter((v): v is number => v !== undefined);
    if (present.length === 0) {
      if (treat === "notBreaching") return { state: "OK" };
      if (treat === "breaching") return { state: m <= n ? "ALARM" : "OK" };
      if (treat === "ignore") return { state: this.lastState.get(def.name) ?? "INSUFFICIENT_DATA", carried: true };
      return { state: "INSUFFICIENT_DATA" };
    }
    const missingBad = treat === "breaching" ? values.length - present.length : 0;
    const breaching = present.filter((v) => compare(op, v, threshold)).length + missingBad;
    return { state: breaching >= m ? "ALARM" : "OK" };
  }

  /** The alarm's value for the period starting at `start`, or undefined when it has no datapoint. */
  private periodValue(i: Record<string, unknown>, start: number, periodMs: number): number | undefined {
    const queries = i.metricQueries as MetricQuery[] | undefined;
    if (!queries || queries.length === 0) {
      const stat = {
        namespace: i.namespace,
        metricName: i.metricName,
        dimensions: i.dimensions,
        statistic: i.statistic,
        extendedStatistic: i.extendedStatistic,
      } as MetricStat;
      return this.aggregate(stat, start, periodMs);
    }
    const byId = new Map(queries.map((q) => [q.id, q]));
    const values = new Map<string, number | undefined>();
    const valueOfId = (id: string): number | undefined => {
      if (values.has(id)) return values.get(id);
      const q = byId.get(id);
      const v = !q
        ? undefined
        : q.metric
          ? this.aggregate(q.metric, start, periodMs)
          : evaluateExpression(q.expression ?? "", valueOfId);
      values.set(id, v);
      return v;
    };
    const out =
      queries.find((q) => q.returnData !== false && q.expression) ?? queries.find((q) => q.returnData !== false);
    return out ? valueOfId(out.id) : undefined;
  }

  private sample(minute: number): MinuteSample {
    const hit = this.samples.get(minute);
    if (hit) return hit;
    const s = this.d.metrics(minute);
    if (minute + MINUTE + PUBLISH_DELAY_MS <= this.d.now()) this.samples.set(minute, s);
    return s;
  }

  private aggregate(m: MetricStat, start: number, periodMs: number): number | undefined {
    const points: number[] = [];
    for (let t = start; t < start + periodMs; t += MINUTE) {
      const v = minuteValue(this.sample(t), m);
      if (v !== undefined) points.push(v);
    }
    if (points.length === 0) return undefined;
    const stat = m.extendedStatistic ?? m.stat ?? m.statistic ?? "Average";
    switch (stat) {
      case "Sum":
        return points.reduce((a, b) => a + b, 0);
      case "Maximum":
        return Math.max(...points);
      case "Minimum":
        return Math.min(...points);
      case "SampleCount":
        return points.length;
      default:
        // Average, and percentiles approximated by the worst minute's percentile (p95 of p95s is an upper bound).
        return /^p\d/.test(stat) ? Math.max(...points) : points.reduce((a, b) => a + b, 0) / points.length;
    }
  }
}

function periodOfQueries(q: MetricQuery[] | undefined): number | undefined {
  return q?.find((x) => x.metric?.period)?.metric?.period;
}

function compare(op: string, v: number, t: number): boolean {
  switch (op) {
    case "GreaterThanOrEqualToThreshold":
      return v >= t;
    case "LessThanThreshold":
      return v < t;
    case "LessThanOrEqualToThreshold":
      return v <= t;
    default:
      return v > t;
  }
}

/** One minute's value of a metric, or undefined when the service published nothing for it. */
function minuteValue(s: MinuteSample, m: MetricStat): number | undefined {
  const dims = m.dimensions ?? {};
  if (m.namespace === "AWS/ApplicationELB" && dims.TargetGroup) {
    const tg = s.targetGroups[dims.TargetGroup];
    if (!tg) return undefined;
    switch (m.metricName) {
      case "RequestCount":
        return tg.requests > 0 ? tg.requests : undefined;
      case "HTTPCode_Target_5XX_Count":
        return tg.target5xx > 0 ? tg.target5xx : undefined;
      case "TargetResponseTime":
        return tg.requests > 0 ? tg.p95Seconds : undefined;
      case "HealthyHostCount":
        return tg.healthyHosts;
      case "UnHealthyHostCount":
        return tg.unhealthyHosts;
    }
    return undefined;
  }
  if (m.namespace === "AWS/ApplicationELB" && dims.LoadBalancer) {
    const lb = s.loadBalancers[dims.LoadBalancer];
    if (!lb) return undefined;
    if (m.metricName === "RequestCount") return lb.requests > 0 ? lb.requests : undefined;
    if (m.metricName === "HTTPCode_ELB_5XX_Count") return lb.elb5xx > 0 ? lb.elb5xx : undefined;
    return undefined;
  }
  if (m.namespace === "AWS/RDS" && dims.DBInstanceIdentifier) {
    const db = s.databases[dims.DBInstanceIdentifier];
    if (!db) return undefined;
    const map: Record<string, number> = {
      CPUUtilization: db.cpuPercent,
      FreeStorageSpace: db.freeStorageBytes,
      FreeableMemory: db.freeableMemoryBytes,
      DatabaseConnections: db.connections,
    };
    return map[m.metricName ?? ""];
  }
  const c = s.custom.find(
    (x) =>
      x.namespace === m.namespace &&
      x.metricName === m.metricName &&
      Object.entries(dims).every(([k, v]) => x.dimensions[k] === v),
  );
  return c?.value;
}

/** Metric math: numbers, ids, + - * /, parentheses, FILL(expr, value). A missing operand gives no datapoint. */
export function evaluateExpression(expr: string, valueOfId: (id: string) => number | undefined): number | undefined {
  const tokens = expr.match(/\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*/(),]/g) ?? [];
  let i = 0;
  const peek = () => tokens[i];
  const next = () => tokens[i++];
  const binary = (a: number | undefined, op: string, b: number | undefined) => {
    if (a === undefined || b === undefined) return undefined;
    if (op === "+") return a + b;
    if (op === "-") return a - b;
    if (op === "*") return a * b;
    return b === 0 ? undefined : a / b;
  };
  const primary = (): number | undefined => {
    const t = next();
    if (t === "(") {
      const v = sum();
      next();
      return v;
    }
    if (t === "-") {
      const v = primary();
      return v === undefined ? undefined : -v;
    }
    if (/^\d/.test(t ?? "")) return Number(t);
    if (t === "FILL" && peek() === "(") {
      next();
      const v = sum();
      next(); // ,
      const fill = sum();
      next(); // )
      return v ?? fill;
    }
    return valueOfId(t ?? "");
  };
  const product = (): number | undefined => {
    let v = primary();
    while (peek() === "*" || peek() === "/") {
      const op = next() ?? "*";
      v = binary(v, op, primary());
    }
    return v;
  };
  const sum = (): number | undefined => {
    let v = product();
    while (peek() === "+" || peek() === "-") {
      const op = next() ?? "+";
      v = binary(v, op, product());
    }
    return v;
  };
  return sum();
}

/** A composite alarm rule: ALARM("x"), OK(x), INSUFFICIENT_DATA(x), TRUE, FALSE, AND, OR, NOT, parentheses. */
export function evaluateRule(rule: string, is: (fn: AlarmState, name: string) => boolean): boolean {
  const tokens = rule.match(/ALARM|OK|INSUFFICIENT_DATA|TRUE|FALSE|AND|OR|NOT|\(|\)|"[^"]*"|[^\s()"]+/g) ?? [];
  let i = 0;
  const next = () => tokens[i++];
  const peek = () => tokens[i];
  const atom = (): boolean => {
    const t = next();
    if (t === "(") {
      const v = or();
      next();
      return v;
    }
    if (t === "NOT") return !atom();
    if (t === "TRUE") return true;
    if (t === "FALSE") return false;
    if (t === "ALARM" || t === "OK" || t === "INSUFFICIENT_DATA") {
      next(); // (
      const name = (next() ?? "").replace(/^"|"$/g, "");
      next(); // )
      return is(t, name);
    }
    return false;
  };
  const and = (): boolean => {
    let v = atom();
    while (peek() === "AND") {
      next();
      const r = atom();
      v = v && r;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (peek() === "OR") {
      next();
      const r = and();
      v = v || r;
    }
    return v;
  };
  return or();
}
