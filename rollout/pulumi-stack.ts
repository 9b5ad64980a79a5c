/**
 * StackOps over the Pulumi Automation API (`LocalWorkspace` in the project directory: the CLI must be
 * installed and logged in where the driver runs). What each call runs (node_modules/@pulumi/pulumi/
 * automation, v3.248):
 *   up      → `pulumi up --yes --skip-preview --message … --config-file <composed> --policy-pack policy
 *             --policy-pack-config <file> [--target …]` (stack.js: `configFile` → `--config-file`); the
 *             driver never runs `pulumi config set*`, so no value ever reaches argv and the checkout's
 *             stack file is never edited. `signal` aborts with SIGINT (cmd.js: `proc.kill("SIGINT")`),
 *             which the CLI turns into a graceful cancel that releases the stack lock.
 *   history → `pulumi stack history --json --page-size N --page P` without `--show-secrets`
 *             (stack.js `history(pageSize, page, showSecrets)`; showSecrets defaults to true).
 *   cancel  → `pulumi cancel --yes`.
 * Whether an update started changing resources is read from its engine events (a `resourcePreEvent` of
 * another op than `same`), not guessed from the error text.
 */
import * as path from "node:path";
import {
  ConcurrentUpdateError,
  type EngineEvent,
  LocalWorkspace,
  type Stack,
  StackNotFoundError,
} from "@pulumi/pulumi/automation";
import { StackError, type StackOps, type UpdateSummary, type UpOutcome, type UpRequest } from "./ports";

export function classify(stack: string, e: unknown, changesStarted = false, cancelled = false): StackError {
  if (e instanceof StackError) return e;
  const text = `${(e as Error).message ?? e}`;
  if (cancelled)
    return new StackError("cancelled", `the update of ${stack} was cancelled (SIGINT to the CLI)`, changesStarted);
  if (/spawn pulumi ENOENT|pulumi: (command )?not found/i.test(text))
    return new StackError(
      "cli-missing",
      "the Pulumi CLI is not installed here (https://www.pulumi.com/docs/install/): the rollout driver runs pulumi up. The offline gate (npm run gate) and `rollout rehearse` need no CLI. Nothing was changed.",
    );
  if (changesStarted) {
    // Resources were being changed: whatever the text says (even "credentials" from a provider), the
    // stack may be half-changed and the release must roll back.
    const tail = text.split("\n").filter(Boolean).slice(-12).join("\n");
    return new StackError("update-failed", tail, true);
  }
  if (
    e instanceof ConcurrentUpdateError ||
    /\[409\] Conflict: Another update is currently in progress|the stack is currently locked/i.test(text)
  )
    return new StackError(
      "locked",
      `stack ${stack} is locked by another update. Wait for it to finish; if its process died, 'rollout unlock' (an update of a driver run) or 'pulumi cancel --stack ${stack}'. Nothing was changed.`,
    );
  if (e instanceof StackNotFoundError || /no stack named|stack .* not found/i.test(text))
    return new StackError(
      "unknown-stack",
      `stack ${stack} does not exist in the current backend (pulumi stack ls). Nothing was changed.`,
    );
  if (/passphrase|failed to decrypt|decrypting|secrets provider|getting secrets manager/i.test(text))
    return new StackError(
      "decrypt",
      `the config of ${stack} cannot be decrypted: set PULUMI_CONFIG_PASSPHRASE or the secrets provider's credentials (KMS). Nothing was changed.`,
    );
  if (
    /PULUMI_ACCESS_TOKEN|not logged in|pulumi login|no credentials|NoCredentialProviders|could not load credentials|ExpiredToken|InvalidClientTokenId/i.test(
      text,
    )
  )
    return new StackError(
      "credentials",
      `missing or expired credentials for ${stack}: run 'pulumi login' and provide AWS credentials (OIDC role in CI, 'aws sso login' locally). Nothing was changed.`,
    );
  // The CLI failed before changing anything (program error, a resource policy, preview failure).
  const tail = text.split("\n").filter(Boolean).slice(-12).join("\n");
  return new StackError("update-failed", tail, false);
}

/** The stack outputs the driver uses (index.ts): the production listener, target groups, alert topic. */
const DRIVER_OUTPUTS = ["productionListenerArn", "targetGroupArns", "alertTopicArn", "releaseTopicArn"];

export class AutomationStack implements StackOps {
  private constructor(
    readonly stack: string,
    private readonly s: Stack,
    private readonly packDir: string,
  ) {}

  static async select(projectDir: string, stack: string): Promise<AutomationStack> {
    try {
      const s = await LocalWorkspace.selectStack({ stackName: stack, workDir: projectDir });
      return new AutomationStack(stack, s, path.join(projectDir, "policy"));
    } catch (e) {
      throw classify(stack, e);
    }
  }

  /** Selects the stack on first use: `status` and `history` read only the release store and need no CLI. */
  static lazy(projectDir: string, stack: string): StackOps {
    let selected: Promise<AutomationStack> | undefined;
    const get = () => {
      selected ??= AutomationStack.select(projectDir, stack);
      return selected;
    };
    return {
      stack,
      up: async (req) => (await get()).up(req),
      history: async (page, size) => (await get()).history(page, size),
      cancel: async () => (await get()).cancel(),
    };
  }

  async up(req: UpRequest): Promise<UpOutcome> {
    let started = false;
    let summary: UpOutcome["changes"] | undefined;
    let errors = 0;
    const onEvent = (ev: EngineEvent) => {
      const op = ev.resourcePreEvent?.metadata.op;
      if (op && op !== "same" && op !== "read") started = true;
      if (ev.diagnosticEvent?.severity === "error") errors++;
      if (ev.summaryEvent) summary = ev.summaryEvent.resourceChanges as UpOutcome["changes"];
    };
    try {
      const r = await this.s.up({
        message: req.message,
        configFile: req.configFile,
        policyPacks: [this.packDir],
        policyPackConfigs: [req.policyPackConfigFile],
        target: req.target,
        signal: req.signal,
        onOutput: req.onOutput,
        onEvent,
        color: "never",
        // automation/stack.js:308-311 reads outputs and `stack history --page-size 1` after the update; without
        // this the history call runs with --show-secrets (stack.js:1206-1209).
        showSecrets: false,
      });
      return {
        version: r.summary.version,
        changes: (r.summary.resourceChanges ?? {}) as UpOutcome["changes"],
        // Only the outputs the driver keeps leave this function, and only when not secret. The Automation API
        // flags an output secret only when the whole top-level value is masked (localWorkspace.js
        // stackOutputs: maskedOuts[key] === "[secret]"), so a secret nested in an object would pass a
        // secret-flag filter: the allow-list is the protection.
        outputs: Object.fromEntries(
          Object.entries(r.outputs ?? {})
            .filter(([k, o]) => DRIVER_OUTPUTS.includes(k) && !o.secret)
            .map(([k, o]) => [k, o.value]),
        ),
      };
    } catch (e) {
      // The update itself ended (its summary event came, no error diagnostic) and a follow-up call of the
      // Automation API (outputs, history) failed: the update succeeded — never roll back a good stage for it.
      if (summary && errors === 0 && !req.signal?.aborted) {
        req.onOutput?.(`warning: the update succeeded; reading its outputs/summary failed: ${(e as Error).message}`);
        return { changes: summary };
      }
      throw classify(this.stack, e, started, req.signal?.aborted === true);
    }
  }

  async history(page: number, pageSize: number): Promise<UpdateSummary[]> {
    try {
      return (await this.s.history(pageSize, page, false)).map((u) => ({
        version: u.version,
        kind: u.kind,
        result: u.result,
        message: u.message,
        startTime: u.startTime,
        endTime: u.endTime,
      }));
    } catch (e) {
      throw classify(this.stack, e);
    }
  }

  async cancel(): Promise<void> {
    try {
      await this.s.cancel();
    } catch (e) {
      throw classify(this.stack, e);
    }
  }
}
