/**
 * The stack configuration as the policy pack sees it: the engine passes PULUMI_CONFIG to the pack
 * process, and `pulumi.runtime.allConfig()` reads it. Defaults are applied with the program's own
 * defaults module, so the pack and the program agree on unset values. No validation here: the program
 * rejects an invalid config before any policy runs.
 */
import * as pulumi from "@pulumi/pulumi";
import { withDefaults } from "../../config/defaults";
import { rawFromFlatConfig } from "../../config/load";
import type { Props } from "./props";

export function stackConfig(): Props {
  return withDefaults(rawFromFlatConfig(pulumi.runtime.allConfig())) as Props;
}
