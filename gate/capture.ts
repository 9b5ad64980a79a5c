/**
 * Runs a Pulumi program in-process under `pulumi.runtime.setMocks` and captures every resource it
 * registers: type, name, URN, parent, dependency edges, inputs and resource options. This is the first
 * half of the offline gate (DESIGN.md "Offline gate", step 1) and the harness of the tests.
 *
 * The resource monitor of the mocks receives the same `RegisterResourceRequest` the engine would, so the
 * parent URN, the dependency list (explicit `dependsOn` plus input dependencies) and the options
 * (protect, ignoreChanges, retainOnDelete, deleteBeforeReplace, ...) are read from it, not inferred.
 */

import { SECRET_PLACEHOLDER, UNKNOWN_VALUE } from "@app-rollout/shared";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { deepFreeze } from "./freeze";
import { defaultMockCall, defaultMockState } from "./mock-state";
import { withTopDownStructs } from "./struct-build";

export interface CapturedOptions {
  protect: boolean;
  ignoreChanges: string[];
  retainOnDelete: boolean;
  deleteBeforeReplace: boolean;
  replaceOnChanges: string[];
  additionalSecretOutputs: string[];
  deletedWith?: string;
}

export interface CapturedResource {
  urn: string;
  type: string;
  name: string;
  /** True for provider-managed (custom) resources, false for components and the stack. */
  custom: boolean;
  /** Order in which the program registered the resource (0 = first): the engine steps resources in this order. */
  seq: number;
  parent?: string;
  /** URNs this resource depends on (explicit `dependsOn` and input dependencies), sorted. */
  dependencies: string[];
  /** Per input property, the URNs its value came from. */
  propertyDependencies: Record<string, string[]>;
  provider?: string;
  /** Inputs as sent to the engine; secret values are replaced by `SECRET_PLACEHOLDER`. */
  inputs: Record<string, unknown>;
  /** Outputs the mocks answered with (inputs plus computed ids, ARNs, `arnSuffix`es); secrets redacted. */
  outputs?: Record<string, unknown>;
  options: CapturedOptions;
}

export interface CapturedPlan {
  project: string;
  stack: string;
  resources: CapturedResource[];
  /** Stack outputs (secrets redacted). */
  outputs: Record<string, unknown>;
}

/** What a secret value looks like in a captured plan: it is never written in clear (one definition, shared/). */
export { SECRET_PLACEHOLDER };

export interface CaptureOptions {
  project: string;
  stack: string;
  /** Flat engine config: `"<namespace>:<key>"` → string (objects as JSON). */
  config: Record<string, string>;
  /** Keys of `config` that are secrets. */
  secretKeys?: string[];
  /** The program: returns the stack outputs (or a promise of them). */
  program: () => unknown;
  /** Output state of a mocked resource; the default echoes inputs plus plausible ids/ARNs. */
  mockState?: (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown>;
  /** Result of a mocked provider function call. */
  mockCall?: (args: pulumi.runtime.MockCallArgs) => Record<string, unknown>;
  /**
   * Simulate `pulumi preview` of a fresh stack: the runtime runs as a dry run, every resource is being
   * created, so its id and each output the provider computes (not among its inputs) are unknown, and so is
   * every input derived from them (the SDK serializes those as the unknown sentinel). @default false
   */
  preview?: boolean;
}

/** Replaces secret wrappers with the placeholder and drops nothing else. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (obj[specialSigKey] === specialSecretSig) return SECRET_PLACEHOLDER;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = redact(v);
    return out;
  }
  return value;
}

// Minimal view of the protobuf request the mock monitor receives (see @pulumi/pulumi/proto/resource_pb).
interface RegisterRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getProvider(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(cb: (v: { getUrnsList(): string[] }, k: string) => void): void };
  getProtect(): boolean | undefined;
  getIgnorechangesList(): string[];
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getReplaceonchangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getDeletedwith(): string;
  getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
}
type Callback = (err: unknown, response?: { getUrn(): string }) => void;
interface PatchableMonitor {
  registerResource(req: RegisterRequest, cb: Callback): Promise<void>;
  resources: Map<string, { state: unknown }>;
}

let busy = false;

/**
 * Runs `program` under mocks with the given config and returns the captured plan, frozen. Runs are
 * serialized: the Pulumi runtime keeps global state, so one capture at a time per process.
 */
export async function capturePlan(opts: CaptureOptions): Promise<CapturedPlan> {
  if (busy) throw new Error("capturePlan: another capture is running in this process; run them one after another");
  busy = true;
  try {
    return await captureUnlocked(opts);
  } finally {
    busy = false;
  }
}

async function captureUnlocked(opts: CaptureOptions): Promise<CapturedPlan> {
  await installMocks(opts);
  const recorder = recordRegistrations();

  // The SDK records a stack trace for every promise and resource; with source maps that dominates the run
  // time. Nothing here reads them (errors are reported by message), so skip them unless debugging.
  // PULUMI_DEBUG_PROMISE_LEAKS asks the SDK for each leaked promise's stack trace: keep them then too.
  const debugging = Boolean(process.env.GATE_DEBUG || process.env.PULUMI_DEBUG_PROMISE_LEAKS);
  const stackTraceLimit = Error.stackTraceLimit;
  const restoreCallsites = debugging ? () => undefined : withoutSourcePositions();
  const restorePromises = debugging ? () => undefined : withoutPromiseDebugInfo();
  const restoreStructs = withTopDownStructs();
  if (!debugging) Error.stackTraceLimit = 0;
  let outputs: Record<string, unknown>;
  try {
    outputs = (await pulumi.runtime.runInPulumiStack(async () => opts.program())) ?? {};
    // Registrations started by applies after the program returned still count: wait until all settle.
    for (let idle = 0; idle < 3; ) {
      await new Promise((resolve) => setImmediate(resolve));
      idle = recorder.inflight === 0 ? idle + 1 : 0;
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    restoreCallsites();
    restorePromises();
    restoreStructs();
  }
  const resources = recorder.resources;
  resources.sort((a, b) => a.urn.localeCompare(b.urn));
  // Frozen (./freeze.ts): the option lists are copies of jspb's arrays, never the program's (capturedRequest).
  return deepFreeze({
    project: opts.project,
    stack: opts.stack,
    resources,
    outputs: redact(outputs) as Record<string, unknown>,
  });
}

/**
 * Every resource constructor takes a stack trace of unlimited depth for its source position
 * (@pulumi/pulumi resource.js:282 `Resource.stackTrace(4)` → :326 `Error.stackTraceLimit = Infinity`), sent
 * in the registration (runtime/resource.js:200 `setSourceposition`). Nothing downstream of the capture
 * reads it: the mocks ignore it (runtime/mocks.js) and the analyzer protocol has no such field
 * (proto/analyzer_pb.d.ts AnalyzerResource: type, properties, urn, name, options, provider, parent,
 * dependencies, propertyDependencies). Under ts-node each trace goes through source-map-support, ~30 % of
 * a warm capture in the tests (docs/gate.md "Profile"); so, while the program runs, the resources get no
 * source position — what the SDK sends when the trace has no usable frame. Returns the restore function.
 */
function withoutSourcePositions(): () => void {
  const resource = pulumi.Resource as unknown as { callsites(): unknown[] };
  const own = Object.getOwnPropertyDescriptor(resource, "callsites");
  resource.callsites = () => [];
  return () => {
    if (own) Object.defineProperty(resource, "callsites", own);
  };
}

interface DebuggableModule {
  debuggablePromise<T>(p: Promise<T>, ctx: unknown): Promise<T>;
  debugPromiseLeaks: boolean;
}

/**
 * The SDK wraps every promise it makes (~8,900 in a prod capture) in `debuggablePromise`
 * (@pulumi/pulumi runtime/debuggable.js:80-130): three `Object.defineProperty` calls on the promise
 * (`_debugId`, `_debugCtx`, and `_debugStackTrace` from `new Error().stack`), then the leak-candidate
 * bookkeeping chained with then/catch. The three properties are read only by `promiseDebugString`
 * (:69), i.e. for the leak report with PULUMI_DEBUG_PROMISE_LEAKS; they were a fifth of a warm capture.
 * While the program runs, the wrapper keeps the rest exactly (the promise is a leak candidate until it
 * settles, a rejection carries `err.promise`); with GATE_DEBUG or PULUMI_DEBUG_PROMISE_LEAKS (the
 * report's detail) the SDK's own runs, with full stack traces. The first call goes through the SDK's
 * own wrapper, which schedules its leak check at exit. Callers resolve `debuggable_1.debuggablePromise`
 * on the module at each call (runtime/rpc.js:101, ...), so replacing the export reaches them.
 */
function withoutPromiseDebugInfo(): () => void {
  const debuggable = require("@pulumi/pulumi/runtime/debuggable") as DebuggableModule;
  const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { leakCandidates: Set<Promise<unknown>> } };
  if (debuggable.debugPromiseLeaks) return () => undefined; // set from PULUMI_DEBUG_PROMISE_LEAKS at load
  const original = debuggable.debuggablePromise;
  debuggable.debuggablePromise = <T>(p: Promise<T>, ctx: unknown): Promise<T> => {
    if (!leakCheckScheduled) {
      leakCheckScheduled = true;
      return original(p, ctx);
    }
    const store = state.getStore();
    store.leakCandidates.add(p);
    return p
      .then((value) => {
        store.leakCandidates.delete(p);
        return value;
      })
      .catch((err) => {
        store.leakCandidates.delete(p);
        // As the SDK's: on a primitive rejection this assignment throws, in strict mode, there too.
        (err as { promise?: unknown }).promise = p;
        throw err;
      });
  };
  return () => {
    debuggable.debuggablePromise = original;
  };
}

let leakCheckScheduled = false;

/** Sets the config and the mocks (resource states, provider function results) of the run. */
async function installMocks(opts: CaptureOptions): Promise<void> {
  pulumi.runtime.setAllConfig(opts.config, opts.secretKeys ?? []);
  const mockState = opts.mockState ?? defaultMockState(opts.config);
  const mockCall = opts.mockCall ?? defaultMockCall(opts.config);
  const newResource = opts.preview
    ? (args: pulumi.runtime.MockResourceArgs) => ({ id: undefined, state: previewState(args, mockState(args)) })
    : (args: pulumi.runtime.MockResourceArgs) => ({
        id: args.custom === false ? undefined : `${args.name}-id`,
        state: mockState(args),
      });
  await pulumi.runtime.setMocks(
    { newResource, call: (args) => mockCall(args) },
    opts.project,
    opts.stack,
    opts.preview === true,
  );
}

/** The unknown sentinel of the engine protocol (shared/src/placeholders.ts). */
export const UNKNOWN = UNKNOWN_VALUE;

/**
 * The planned state of a create during a preview: its inputs (unknown where they derive from unknowns), and
 * every other output the provider computes unknown (the bridged providers' planned state marks computed
 * attributes unknown until Create runs).
 */
function previewState(args: pulumi.runtime.MockResourceArgs, full: Record<string, unknown>): Record<string, unknown> {
  const state: Record<string, unknown> = { ...args.inputs };
  for (const k of Object.keys(full)) if (!(k in args.inputs)) state[k] = UNKNOWN;
  return state;
}

/** The resources registered so far, and how many registrations have not been answered yet. */
interface Recorder {
  resources: CapturedResource[];
  inflight: number;
}

/** Patches the mock monitor so that every registration is captured once the mocks answer it. */
function recordRegistrations(): Recorder {
  const recorder: Recorder = { resources: [], inflight: 0 };
  let seq = 0;
  const monitor = pulumi.runtime.getMonitor() as unknown as PatchableMonitor;
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    recorder.inflight++;
    const base = capturedRequest(req, seq++);
    return original(req, (err, response) => {
      if (!err && response) {
        const urn = response.getUrn();
        const state = monitor.resources.get(urn)?.state as Record<string, unknown> | undefined;
        // The engine marks these outputs secret (e.g. RandomPassword.result); the mocks do not, so do it here.
        const outputs = state ? (redact(state) as Record<string, unknown>) : undefined;
        for (const k of base.options.additionalSecretOutputs)
          if (outputs && k in outputs) outputs[k] = SECRET_PLACEHOLDER;
        recorder.resources.push({ urn, ...base, outputs });
      }
      recorder.inflight--;
      if (response) Object.defineProperty(response, "toString", { value: debugText, configurable: true });
      cb(err, response);
    });
  };
  return recorder;
}

/**
 * Whether the SDK's debug messages are printed anywhere. The SDK formats every registration's answer into
 * one, `resp: ${innerResponse}` (runtime/resource.js:484/:489), and jspb's `toString` builds it by syncing
 * and printing the whole message (0.8 s of a profiled `npm test`'s captures); `log.debug` then drops it
 * unless an engine is attached or `excessiveDebugOutput` is on (log/index.js:43-54). Under the mocks there
 * is no engine.
 */
function debugTextPrinted(): boolean {
  const settings = require("@pulumi/pulumi/runtime/settings") as {
    excessiveDebugOutput: boolean;
    getEngine(): unknown;
  };
  return settings.excessiveDebugOutput || settings.getEngine() !== undefined;
}

/**
 * A registration answer's text in the SDK's debug message: jspb's own whenever the message would be printed,
 * asked at the moment it is formatted; a short one that no one reads otherwise. Exported for the spec.
 */
export function debugText(this: { getUrn(): string }): string {
  if (debugTextPrinted()) return (Object.getPrototypeOf(this) as { toString(): string }).toString.call(this);
  return `RegisterResourceResponse(${this.getUrn()})`;
}

/** What a registration request says about its resource (all but the URN and the outputs). */
function capturedRequest(req: RegisterRequest, seq: number): Omit<CapturedResource, "urn" | "outputs"> {
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((v, k) => {
    propertyDependencies[k] = [...v.getUrnsList()].sort();
  });
  return {
    seq,
    type: req.getType(),
    name: req.getName(),
    custom: req.getCustom(),
    parent: req.getParent() || undefined,
    dependencies: [...new Set(req.getDependenciesList())].sort(),
    propertyDependencies,
    provider: req.getProvider() || undefined,
    inputs: redact(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
    options: {
      protect: req.getProtect() === true,
      // Copies: jspb hands out its own arrays, which the SDK set to the program's (runtime/resource.js:374),
      // and a captured plan is frozen (./freeze.ts).
      ignoreChanges: [...req.getIgnorechangesList()],
      retainOnDelete: req.getRetainondelete() === true,
      deleteBeforeReplace: req.getDeletebeforereplace(),
      replaceOnChanges: [...req.getReplaceonchangesList()],
      additionalSecretOutputs: [...req.getAdditionalsecretoutputsList()],
      deletedWith: req.getDeletedwith() || undefined,
    },
  };
}
