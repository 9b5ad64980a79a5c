/**
 * The AWS SDK's own retry strategy — which errors it retries, how many attempts, its retry quota — without
 * the wait between attempts. The SDK's standard strategy waits with a real timer inside
 * `refreshRetryTokenForRetry` (@smithy/core dist-cjs/submodules/retry/index.js:505-525: the delay from its
 * `retryBackoffStrategy`, 500 ms and up for throttling, then `setTimeout`), so a spec whose clock is virtual
 * spent seconds of an idle core there. Only that backoff object is replaced; the strategy decides
 * everything else exactly as the client's default does. If the SDK no longer has it, this throws (update
 * this file) rather than letting the specs wait again.
 */
interface Backoff {
  computeNextBackoffDelay(attempt: number): number;
  setDelayBase(delay: number): void;
}

/** `client` retrying as its default strategy does, with no wait between attempts. */
export async function withoutBackoff<C extends { config: { retryStrategy: () => Promise<unknown> } }>(
  client: C,
): Promise<C> {
  const standard = (await client.config.retryStrategy()) as { retryBackoffStrategy?: Partial<Backoff> };
  const current = standard.retryBackoffStrategy;
  if (typeof current?.computeNextBackoffDelay !== "function" || typeof current.setDelayBase !== "function")
    throw new Error("the AWS SDK's standard retry strategy changed: update test/support/aws-retry.ts");
  const immediate: Backoff = { computeNextBackoffDelay: () => 0, setDelayBase: () => undefined };
  standard.retryBackoffStrategy = immediate;
  return client;
}
