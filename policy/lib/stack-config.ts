/**
 * The stack configuration as the policy pack sees it: the engine passes PULUMI_CONFIG to the pack
 * process, and `pulumi.runtime.allConfig()` reads it. Parsed with the same helper as the program
 * (@app-rollout/shared rawFromFlatConfig); no validation and no defaults here: the program rejects an
 * invalid config before any policy runs, and a policy that reads an optional key names its fallback from
 * the shared package (e.g. DEFAULT_TEST_LISTENER_PORT), so the pack needs neither zod nor config/.
 *
 * The release keys (shared RELEASE_KEY_PATHS: colors, images, weights, release version/commit, worker
 * image) are removed: they change with every stage of a release, so policies judge what the program made
 * of them (listener tags and weights, Job labels, snapshot tags) instead. One pack process therefore
 * judges every stage of a release exactly as a fresh one would (the rehearsal twin relies on it, and
 * test/policy/pack-release-keys.test.ts checks it).
 */
import { rawFromFlatConfig, withoutReleaseKeys } from "@app-rollout/shared";
import * as pulumi from "@pulumi/pulumi";
import type { Props } from "./props";

export function stackConfig(): Props {
  return withoutReleaseKeys(rawFromFlatConfig(pulumi.runtime.allConfig())) as Props;
}
