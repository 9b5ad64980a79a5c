/**
 * Runs the real policy pack the way the Pulumi engine does (DESIGN.md "Offline gate", step 2): the pack
 * runs in a child process with PULUMI_CONFIG / PULUMI_NODEJS_PROJECT / PULUMI_NODEJS_STACK, prints the
 * port of its analyzer gRPC server, and is driven over that protocol: getAnalyzerInfo, configure
 * (enforcement + policy config with the schema defaults applied, as the engine does), analyze for every
 * resource (its inputs) and analyzeStack (every resource with outputs, parent and dependencies).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient, AnalyzerService } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import type { CapturedResource } from "./capture";
import { isProjectPack, packEntry, STACK_CONFIG_ENTRY } from "./runtime";
import { analyzeRequestBytes, analyzeStackRequestBytes, propertiesJson, structOfJson } from "./wire";

/** The analyzer service's method paths (@pulumi/pulumi/proto/analyzer_grpc_pb.js AnalyzerService). */
const METHOD = {
  analyze: AnalyzerService.analyze.path,
  analyzeStack: AnalyzerService.analyzeStack.path,
  configure: AnalyzerService.configure.path,
};

export type Enforcement = "advisory" | "mandatory" | "remediate" | "disabled";
export type Severity = "" | "low" | "medium" | "high" | "critical";

export interface PolicyInfo {
  name: string;
  description: string;
  enforcementLevel: Enforcement;
  severity: Severity;
  /** JSON-schema properties of the policy's config, with defaults. */
  configProperties: Record<string, { default?: unknown; type?: string }>;
}

export interface PackInfo {
  name: string;
  version: string;
  policies: PolicyInfo[];
}

export interface Diagnostic {
  policyName: string;
  policyPackName: string;
  policyPackVersion: string;
  description: string;
  message: string;
  enforcementLevel: Enforcement;
  severity: Severity;
  /** Resource the violation is about; empty for stack-wide violations. */
  urn: string;
}

export interface Analysis {
  diagnostics: Diagnostic[];
  notApplicable: { policyName: string; reason: string }[];
}

/** Resolved per-policy configuration sent with `configure`. */
export type PolicyConfig = Record<string, { enforcementLevel: Enforcement; properties: Record<string, unknown> }>;

/** A problem with the policy pack or its config file (exit 2 in the gate, never a stack trace). */
export class PolicyPackError extends Error {
  override name = "PolicyPackError";
}

const ENFORCEMENT: Record<Enforcement, pb.EnforcementLevel> = {
  advisory: pb.EnforcementLevel.ADVISORY,
  mandatory: pb.EnforcementLevel.MANDATORY,
  disabled: pb.EnforcementLevel.DISABLED,
  remediate: pb.EnforcementLevel.REMEDIATE,
};
const ENFORCEMENT_NAME = Object.fromEntries(Object.entries(ENFORCEMENT).map(([k, v]) => [v, k])) as Record<
  number,
  Enforcement
>;
const SEVERITY_NAME: Record<number, Severity> = { 0: "", 1: "low", 2: "medium", 3: "high", 4: "critical" };

function toAnalysis(res: pb.AnalyzeResponse): Analysis {
  return {
    diagnostics: res.getDiagnosticsList().map((d) => ({
      policyName: d.getPolicyname(),
      policyPackName: d.getPolicypackname(),
      policyPackVersion: d.getPolicypackversion(),
      description: d.getDescription(),
      message: d.getMessage(),
      enforcementLevel: ENFORCEMENT_NAME[d.getEnforcementlevel()] ?? "advisory",
      severity: SEVERITY_NAME[d.getSeverity()] ?? "",
      urn: d.getUrn(),
    })),
    notApplicable: res.getNotApplicableList().map((n) => ({ policyName: n.getPolicyName(), reason: n.getReason() })),
  };
}

function call<Req, Res>(
  fn: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown,
  req: Req,
): Promise<Res> {
  return new Promise((resolve, reject) => {
    fn(req, (err, res) =>
      err ? reject(new PolicyPackError(`policy pack call failed: ${err.details || err.message}`)) : resolve(res),
    );
  });
}

/** A stack config as the engine passes it to a pack (PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS). */
export interface StackConfig {
  config: Record<string, string>;
  secretKeys?: string[];
  /** The stack name (PULUMI_NODEJS_STACK of a fresh process): a switching pack takes it with the config. */
  stack: string;
}

/**
 * What a `configure` request is built from, each field of the config read once: per policy its name, the
 * enforcement level's wire value and its properties as the JSON `struct` reads (gate/wire.ts), and the
 * stack config entry's properties as JSON.
 */
interface ConfigureParts {
  policies: [name: string, level: unknown, properties: string][];
  stack: string | null;
}

function configureParts(config: PolicyConfig, stack: StackConfig | undefined): ConfigureParts {
  return {
    policies: Object.entries(config).map(([name, c]) => [
      name,
      ENFORCEMENT[c.enforcementLevel],
      propertiesJson(c.properties),
    ]),
    stack: stack
      ? propertiesJson({
          config: JSON.stringify(stack.config),
          secretKeys: JSON.stringify(stack.secretKeys ?? []),
          stack: stack.stack,
        })
      : null,
  };
}

function requestOf(parts: ConfigureParts): pb.ConfigureAnalyzerRequest {
  const req = new pb.ConfigureAnalyzerRequest();
  for (const [name, level, properties] of parts.policies) {
    const pc = new pb.PolicyConfig();
    pc.setEnforcementlevel(level as pb.EnforcementLevel);
    pc.setProperties(structOfJson(properties));
    req.getPolicyconfigMap().set(name, pc);
  }
  if (parts.stack !== null) {
    const pc = new pb.PolicyConfig();
    pc.setProperties(structOfJson(parts.stack));
    req.getPolicyconfigMap().set(STACK_CONFIG_ENTRY, pc);
  }
  return req;
}

/** The request's bytes; a failure as grpc-js reports the generated serializer's (client-interceptors.js:287). */
function encode(parts: ConfigureParts): Buffer {
  try {
    return Buffer.from(requestOf(parts).serializeBinary());
  } catch (e) {
    throw new PolicyPackError(
      `policy pack call failed: Request message serialization failure: ${(e as Error).message}`,
    );
  }
}

/**
 * Encoded `configure` requests, by exactly what they are built from (`ConfigureParts`: strings and the
 * levels' numbers, so its JSON names one request; jspb writes a map in key order). A rehearsal configures
 * its pack again at every stage and the scenario library asks for the same configs story after story
 * (1,185 configures per `npm test`, 811 of them a request sent before, ~710 still kept; 0.76 ms each to
 * build). The pack is asked every time: only the encoding is kept. A level that is not a number (an
 * unknown name: validated before, by resolvePolicyConfig) is encoded as before, not kept. At most
 * CONFIGURE_REQUESTS, the oldest dropped first. Found by an independent review: keyed by the JSON of the
 * config itself, getters, `toJSON`, inherited or unread fields could pair a config with another's bytes.
 */
const configureRequests = new Map<string, Buffer>();
export const CONFIGURE_REQUESTS = 64;

/** How many encoded requests are kept (specs). */
export const configureRequestsKept = (): number => configureRequests.size;

export function configureRequestBytes(config: PolicyConfig, stack?: StackConfig): Buffer {
  const parts = configureParts(config, stack);
  if (!parts.policies.every(([, level]) => typeof level === "number")) return encode(parts);
  const key = createHash("sha1").update(JSON.stringify(parts)).digest("base64");
  let bytes = configureRequests.get(key);
  if (bytes === undefined) {
    bytes = encode(parts);
    if (configureRequests.size >= CONFIGURE_REQUESTS)
      configureRequests.delete(configureRequests.keys().next().value as string);
    configureRequests.set(key, bytes);
  }
  return bytes;
}

export interface StartOptions {
  /** Directory of the pack (PulumiPolicy.yaml, package.json, index.ts). */
  packDir: string;
  project: string;
  stack: string;
  /** Flat stack config, passed as PULUMI_CONFIG exactly like the engine does. */
  config: Record<string, string>;
  secretKeys?: string[];
  /** @default 60000 */
  startTimeoutMs?: number;
  /**
   * How to start the pack: node arguments and extra environment. @default this checkout's pack (the
   * transpiled build/ for policy/, ts-node otherwise: gate/runtime.ts packEntry). The published-pack test
   * passes the CLI's own command line instead (@pulumi/pulumi/cmd/run-policy-pack).
   */
  command?: { args: string[]; env?: Record<string, string> };
}

/** The engine's environment for a pack (PULUMI_CONFIG, PULUMI_NODEJS_*), plus the command's own. */
function packEnv(o: StartOptions, extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...extra,
    PULUMI_CONFIG: JSON.stringify(o.config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(o.secretKeys ?? []),
    PULUMI_NODEJS_PROJECT: o.project,
    PULUMI_NODEJS_STACK: o.stack,
    PULUMI_NODEJS_ORGANIZATION: "organization",
    // stdin is a pipe nobody writes to: this project's pack exits when it closes, i.e. when this
    // process ends however it ends (tools/exit-with-parent.js).
    PACK_PARENT_PIPE: "1",
  };
}

/** A running policy pack and an analyzer client connected to it. */
export class PolicyPackProcess {
  private constructor(
    private readonly child: ChildProcess,
    private readonly client: AnalyzerClient,
    /** True when `configure` can also switch the stack config (this project's pack, tools/pack-stack-config.js). */
    readonly acceptsStackConfig: boolean,
  ) {}

  static async start(o: StartOptions): Promise<PolicyPackProcess> {
    // The pack inherits this process's young-generation size (npm test sets it: GC was a tenth of the time).
    // PACK_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"): node flags for the pack only (profiling).
    const heap = [
      ...process.execArgv.filter((a) => a.startsWith("--max-semi-space-size")),
      ...(process.env.PACK_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []),
    ];
    const command = o.command ?? {
      args: packEntry(o.packDir),
      env: { TS_NODE_PROJECT: path.join(o.packDir, "..", "tsconfig.json") },
    };
    const child = spawn(process.execPath, [...heap, ...command.args], {
      cwd: o.packDir,
      env: packEnv(o, command.env),
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const port = await new Promise<number>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => {
        child.kill();
        reject(
          new PolicyPackError(
            `policy pack at ${o.packDir} did not print its port within ${o.startTimeoutMs ?? 60000} ms. stderr:\n${stderr}`,
          ),
        );
      }, o.startTimeoutMs ?? 60000);
      child.stdout?.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /^(\d+)\s*$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(
          new PolicyPackError(`policy pack at ${o.packDir} exited with code ${code} before serving.\n${stderr.trim()}`),
        );
      });
    });
    const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.max_receive_message_length": 400 * 1024 * 1024,
      "grpc.max_send_message_length": 400 * 1024 * 1024,
    });
    return new PolicyPackProcess(child, client, !o.command && isProjectPack(o.packDir));
  }

  async info(): Promise<PackInfo> {
    const res = await call<Empty, pb.AnalyzerInfo>(this.client.getAnalyzerInfo.bind(this.client), new Empty());
    return {
      name: res.getName(),
      version: res.getVersion(),
      policies: res.getPoliciesList().map((p) => ({
        name: p.getName(),
        description: p.getDescription(),
        enforcementLevel: ENFORCEMENT_NAME[p.getEnforcementlevel()] ?? "advisory",
        severity: SEVERITY_NAME[p.getSeverity()] ?? "",
        configProperties: (p.getConfigschema()?.getProperties()?.toJavaScript() ??
          {}) as PolicyInfo["configProperties"],
      })),
    };
  }

  /**
   * Sends the policy config. With `stack`, the pack judges from now on as a fresh process started with
   * that stack config would (only when `acceptsStackConfig`: see tools/pack-stack-config.js).
   */
  async configure(config: PolicyConfig, stack?: StackConfig): Promise<void> {
    const bytes = configureRequestBytes(config, stack);
    if (stack && !this.acceptsStackConfig)
      throw new PolicyPackError("this policy pack process cannot switch its stack config");
    await this.raw(METHOD.configure, bytes, (b) =>
      Empty.deserializeBinary(new Uint8Array(b.buffer, b.byteOffset, b.length)),
    );
  }

  async analyze(r: CapturedResource): Promise<Analysis> {
    const a = toAnalysis(await this.raw(METHOD.analyze, analyzeRequestBytes(r)));
    // Resource policies report without a URN; the engine attributes them to the resource analyzed.
    for (const d of a.diagnostics) d.urn ||= r.urn;
    return a;
  }

  async analyzeStack(resources: CapturedResource[]): Promise<Analysis> {
    return toAnalysis(await this.raw(METHOD.analyzeStack, analyzeStackRequestBytes(resources)));
  }

  /** A unary call with a request already encoded (gate/wire.ts); the same method paths the generated client uses. */
  private raw<Res = pb.AnalyzeResponse>(
    method: string,
    bytes: Buffer,
    decode: (b: Buffer) => Res = (b) =>
      pb.AnalyzeResponse.deserializeBinary(new Uint8Array(b.buffer, b.byteOffset, b.length)) as Res,
  ): Promise<Res> {
    return new Promise((resolve, reject) => {
      this.client.makeUnaryRequest(
        method,
        (b: Buffer) => b,
        decode,
        bytes,
        (err: grpc.ServiceError | null, res?: Res) =>
          err || !res
            ? reject(new PolicyPackError(`policy pack call failed: ${err?.details || err?.message || "no response"}`))
            : resolve(res),
      );
    });
  }

  /** analyze for every resource (in parallel, as the engine does per step) then analyzeStack. */
  async analyzeAll(resources: CapturedResource[]): Promise<Analysis> {
    const parts = await Promise.all(resources.map((r) => this.analyze(r)));
    parts.push(await this.analyzeStack(resources));
    return { diagnostics: parts.flatMap((p) => p.diagnostics), notApplicable: parts.flatMap((p) => p.notApplicable) };
  }

  /** The pack's process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Calls `f` once when the process has ended (at once if it already has). */
  onExit(f: () => void): void {
    if (this.child.exitCode !== null || this.child.signalCode !== null) f();
    else this.child.once("exit", f);
  }

  close(): void {
    this.client.close();
    this.child.kill();
  }
}

type ConfigFileEntry = Enforcement | ({ enforcementLevel?: Enforcement } & Record<string, unknown>);

/**
 * Resolves a `--policy-pack-config` file against the pack's policies the way the engine does: `all` sets
 * every policy's enforcement, a policy's own entry overrides it, and every config property the file leaves
 * out takes its schema default. Unknown policy names and enforcement levels are errors.
 */
export function resolvePolicyConfig(
  info: PackInfo,
  file: Record<string, ConfigFileEntry> = {},
  overrides: Record<string, Record<string, unknown>> = {},
): PolicyConfig {
  const known = new Set(info.policies.map((p) => p.name));
  const valid = (e: unknown, where: string): Enforcement => {
    if (e === "advisory" || e === "mandatory" || e === "remediate" || e === "disabled") return e;
    throw new PolicyPackError(
      `${where}: enforcement level must be advisory, mandatory, remediate or disabled, got ${JSON.stringify(e)}`,
    );
  };
  for (const k of Object.keys(file))
    if (k !== "all" && !known.has(k))
      throw new PolicyPackError(`policy config names unknown policy '${k}'; known: ${[...known].join(", ")}`);
  const all =
    file.all === undefined
      ? undefined
      : valid(typeof file.all === "string" ? file.all : file.all.enforcementLevel, "all");
  const out: PolicyConfig = {};
  for (const p of info.policies) {
    const entry = file[p.name];
    const props: Record<string, unknown> = {};
    for (const [k, schema] of Object.entries(p.configProperties))
      if (schema.default !== undefined) props[k] = schema.default;
    let level = all ?? p.enforcementLevel;
    if (typeof entry === "string") level = valid(entry, p.name);
    else if (entry) {
      const { enforcementLevel, ...rest } = entry;
      if (enforcementLevel !== undefined) level = valid(enforcementLevel, p.name);
      for (const k of Object.keys(rest))
        if (!(k in p.configProperties))
          throw new PolicyPackError(
            `policy config for ${p.name} sets unknown property '${k}'; known: ${Object.keys(p.configProperties).join(", ") || "none"}`,
          );
      Object.assign(props, rest);
    }
    Object.assign(props, overrides[p.name] ?? {});
    out[p.name] = { enforcementLevel: level, properties: props };
  }
  return out;
}
