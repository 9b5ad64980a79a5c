/** A captured resource built by hand for tests of the twin and the wire encoding (what gate/capture.ts records). */
import type { CapturedResource } from "../../gate/capture";

/** A custom resource of `type` named `name` with these inputs and default options. */
export function capturedResource(
  stack: string,
  type: string,
  name: string,
  inputs: Record<string, unknown>,
  o: Partial<CapturedResource["options"]> = {},
  seq = 0,
): CapturedResource {
  return {
    urn: `urn:pulumi:${stack}::app::${type}::${name}`,
    type,
    name,
    custom: true,
    seq,
    dependencies: [],
    propertyDependencies: {},
    inputs,
    options: {
      protect: false,
      ignoreChanges: [],
      retainOnDelete: false,
      deleteBeforeReplace: false,
      replaceOnChanges: [],
      additionalSecretOutputs: [],
      ...o,
    },
  };
}
