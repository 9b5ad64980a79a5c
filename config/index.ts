/**
 * Program-side entry to the configuration: reads the stack config the engine passes in, validates it and
 * returns typed config plus the secrets as `pulumi.Output`s. A bad config ends the program with a
 * `RunError` (the CLI prints its message, no stack trace) listing every problem and its fix.
 */
import * as pulumi from "@pulumi/pulumi";
import { type ConfigProblem, formatProblems, NAMESPACE, parseFlatConfig } from "./load";
import { type AppConfig, SECRET_KEYS, type SecretKey } from "./schema";

export {
  IMMUTABLE_IMAGE_HINT,
  type ImageRef,
  parseAnyImage,
  parseImmutableImage,
  sameCommit,
} from "@app-rollout/shared";
export * from "./defaults";
export * from "./load";
export * from "./schema";

/** Validated config without the secret keys (those are only reachable as secret outputs). */
export type StackConfig = Omit<AppConfig, SecretKey>;
export type StackSecrets = { [K in SecretKey]?: pulumi.Output<string> };

export class ConfigError extends pulumi.RunError {
  constructor(
    readonly problems: ConfigProblem[],
    stack: string,
  ) {
    super(formatProblems(problems, stack));
    this.name = "ConfigError";
  }
}

/** Splits validated config into plain config and secret outputs. */
export function splitSecrets(config: AppConfig): { config: StackConfig; secrets: StackSecrets } {
  const plain: Record<string, unknown> = { ...config };
  const secrets: StackSecrets = {};
  for (const k of SECRET_KEYS) {
    const v = config[k];
    if (v !== undefined) secrets[k] = pulumi.secret(v);
    delete plain[k];
  }
  return { config: plain as StackConfig, secrets };
}

/** Loads and validates the current stack's configuration (inside a Pulumi program or under mocks). */
export function loadStackConfig(): { config: StackConfig; secrets: StackSecrets } {
  const stack = pulumi.getStack();
  const result = parseFlatConfig(pulumi.runtime.allConfig(), stack);
  if (!result.ok) throw new ConfigError(result.problems, stack);
  return splitSecrets(result.config);
}

export { NAMESPACE };
