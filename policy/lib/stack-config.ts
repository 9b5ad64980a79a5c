/**
 * The stack configuration as the policy pack sees it: the engine passes PULUMI_CONFIG to the pack
 * process, and `pulumi.runtime.allConfig()` reads it. Defaults are applied with the program's own
 * defaults module, so the pack and the program agree on unset values. No validation here: the program
 * rejects an invalid config before any policy runs.
 *
 * The release keys (config/release-keys.ts: colors, images, weights, release version/commit, worker
 * image) are removed: they change with every stage of a release, so policies judge what the program made
 * of them (listener tags and weights, Job labels, snapshot tags) instead. One pack process therefore
 * judges every stage of a release exactly as a fresh one would (the rehearsal twin relies on it, and
 * test/policy/pack-release-keys.test.ts checks it).
 */
import * as pulumi from "@pulumi/pulumi";
import { withDefaults } from "../../config/defaults";
import { rawFromFlatConfig } from "../../config/load";
import { withoutReleaseKeys } from "../../config/release-keys";
import type { Props } from "./props";

export function stackConfig(): Props {
  return withoutReleaseKeys(withDefaults(rawFromFlatConfig(pulumi.runtime.allConfig()))) as Props;
}
