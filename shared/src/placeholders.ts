/**
 * Values that stand in for what a plan cannot show. The gate writes them; the pack recognises them.
 */

/** A secret input or output in a captured plan (the value itself never leaves the engine). */
export const SECRET_PLACEHOLDER = "[secret]";

/**
 * The engine's unknown value on the wire (a computed output during preview): the string the Pulumi SDK
 * uses (`@pulumi/pulumi/runtime/rpc.js:269` `unknownValue`) and @pulumi/policy turns into an UnknownValueError
 * when a policy reads it.
 */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
