/**
 * StackOps over the Pulumi Automation API (`LocalWorkspace` in the project directory: the CLI must be
 * installed and logged in where the driver runs). Every `up` carries the policy pack and the stack's
 * policy config, so a rollout can never bypass the readiness checklist. CLI failures are classified into
 * clear errors: stack locked by another update, missing credentials, unknown stack, undecryptable config.
 */
import * as path from "node:path";
import { ConcurrentUpdateError, LocalWorkspace, type Stack, StackNotFoundError } from "@pulumi/pulumi/automation";
import { type StructuredConfig, toStructured } from "./config-state";
import { StackError, type StackOps, type UpdateRecord, type UpResult } from "./ports";

export function classify(stack: string, e: unknown): StackError {
  if (e instanceof StackError) return e;
  const text = `${(e as Error).message ?? e}`;
  if (/spawn pulumi ENOENT|pulumi: (command )?not found/i.test(text))
    return new StackError(
      "cli-missing",
      "the Pulumi CLI is not installed here (https://www.pulumi.com/docs/install/): the rollout driver runs pulumi up. The offline gate (npm run gate) needs no CLI. Nothing was changed.",
    );
  if (
    e instanceof ConcurrentUpdateError ||
    /conflict: Another update is currently in progress|stack is currently locked/i.test(text)
  )
    return new StackError(
      "locked",
      `stack ${stack} is locked by another update. Wait for it to finish; if it died, check 'pulumi stack history' and run 'pulumi cancel --stack ${stack}'. Nothing was changed.`,
    );
  if (e instanceof StackNotFoundError || /no stack named|stack .* not found/i.test(text))
    return new StackError(
      "unknown-stack",
      `stack ${stack} does not exist in the current backend (pulumi stack ls). Nothing was changed.`,
    );
  if (/passphrase|failed to decrypt|decrypting|secrets provider/i.test(text))
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
  // CommandError messages carry the CLI's stdout/stderr: keep the end, where the failing resource is named.
  const tail = text.split("\n").filter(Boolean).slice(-12).join("\n");
  return new StackError("update-failed", tail);
}

export class AutomationStack implements StackOps {
  private constructor(
    readonly stack: string,
    private readonly s: Stack,
    private readonly policyPack: string,
    private readonly policyConfig: string,
  ) {}

  static async select(projectDir: string, stack: string): Promise<AutomationStack> {
    try {
      const s = await LocalWorkspace.selectStack({ stackName: stack, workDir: projectDir });
      return new AutomationStack(
        stack,
        s,
        path.join(projectDir, "policy"),
        path.join(projectDir, "policy", "config", `${stack}.json`),
      );
    } catch (e) {
      throw classify(stack, e);
    }
  }

  private async guard<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw classify(this.stack, e);
    }
  }

  getConfig(): Promise<StructuredConfig> {
    return this.guard(async () => toStructured(await this.s.getAllConfig()));
  }

  setConfig(values: StructuredConfig): Promise<void> {
    // `pulumi config set-all --json` keeps types: objects as objects, "16.4" as a string.
    const json: Record<string, { value: string; objectValue?: unknown; secret: boolean }> = {};
    for (const [k, e] of Object.entries(values)) {
      json[k] = { value: typeof e.value === "string" ? e.value : JSON.stringify(e.value), secret: !!e.secret };
      if (e.value !== null && typeof e.value === "object") json[k].objectValue = e.value;
    }
    return this.guard(() => this.s.setAllConfigJson(JSON.stringify(json)));
  }

  removeConfig(keys: string[]): Promise<void> {
    return this.guard(() => this.s.removeAllConfig(keys));
  }

  up(message: string, onOutput: (line: string) => void): Promise<UpResult> {
    return this.guard(async () => {
      const r = await this.s.up({
        message,
        policyPacks: [this.policyPack],
        policyPackConfigs: [this.policyConfig],
        onOutput,
        color: "never",
      });
      return { changes: r.summary.resourceChanges as Record<string, number> | undefined };
    });
  }

  history(): Promise<UpdateRecord[]> {
    return this.guard(async () =>
      (await this.s.history(undefined, undefined, true)).map((u) => ({
        version: u.version,
        result: u.result,
        startTime: u.startTime,
        config: toStructured(u.config),
        kind: u.kind,
        message: u.message,
      })),
    );
  }
}
