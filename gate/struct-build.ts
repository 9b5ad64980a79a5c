/**
 * google-protobuf's `Struct.fromJavaScript`, built top-down (issue #18). The generated one
 * (google/protobuf/struct_pb.js at 3.21.4, `Value.fromJavaScript` / `ListValue.fromJavaScript` /
 * `Struct.fromJavaScript`) builds each nested Struct or ListValue first and then sets it on its parent;
 * setting a message field calls the child's `toArray()` (jspb `setWrapperField`), which walks the child's
 * whole subtree to sync its map fields — so every level re-walks everything under it. Here each message is
 * set on its parent while empty and filled afterwards, through the same generated setters, map and repeated
 * field calls: the parent holds the child's array by reference, so it sees the fill, and the message that
 * comes out is the same (bytes, `toJavaScript()`, `toArray()`: `test/gate/struct-build.test.ts` compares
 * both on every resource of both plans and on edge values). Values are classified by the runtime's own
 * `typeOf`, keys taken in `for…in` order and array items by index as there, the same error otherwise
 * ("Unexpected struct type.").
 *
 * The SDK builds one per registration and its mock monitor one per answer (runtime/resource.js:331,
 * runtime/mocks.js:91): ~15 ms of a ~100 ms warm prod capture, ~7 ms this way. Installed only while a
 * capture runs (gate/capture.ts).
 */
import { ListValue, NullValue, Struct, Value } from "google-protobuf/google/protobuf/struct_pb";

/**
 * The generated code's `goog.typeOf` (struct_pb.js: `var goog = jspb`): the runtime's own, so values the
 * SDK never sends — array-likes, other realms' objects, Proxies — are classified exactly as there. Exported
 * by google-protobuf.js but not in its type declarations.
 */
const typeOf = (require("google-protobuf") as { typeOf(v: unknown): string }).typeOf;

function setValue(target: Value, value: unknown): void {
  switch (typeOf(value)) {
    case "string":
      target.setStringValue(value as string);
      return;
    case "number":
      target.setNumberValue(value as number);
      return;
    case "boolean":
      target.setBoolValue(value as boolean);
      return;
    case "null":
      target.setNullValue(NullValue.NULL_VALUE);
      return;
    case "array": {
      const list = new ListValue();
      target.setListValue(list);
      const items = value as unknown[];
      for (let i = 0; i < items.length; i++) setValue(list.addValues(new Value()), items[i]);
      return;
    }
    case "object": {
      const struct = new Struct();
      target.setStructValue(struct);
      fill(struct, value as Record<string, unknown>);
      return;
    }
    default:
      throw new Error("Unexpected struct type.");
  }
}

function fill(struct: Struct, obj: Record<string, unknown>): void {
  const fields = struct.getFieldsMap();
  // for…in, as the generated code: inherited enumerable keys too.
  for (const key in obj) {
    const value = new Value();
    fields.set(key, value);
    setValue(value, obj[key]);
  }
}

/** The Struct of a plain object, equal to the generated `Struct.fromJavaScript(obj)`. */
export function structFromJavaScript(obj: Record<string, unknown>): Struct {
  const struct = new Struct();
  fill(struct, obj);
  return struct;
}

/**
 * Replaces the generated `Struct.fromJavaScript` (a static of the module every user shares) until the
 * returned function restores it. Nesting deeper than this recursion's stack throws a RangeError, as the
 * generated one does (it runs out at about half the depth).
 */
export function withTopDownStructs(): () => void {
  const generated = Struct.fromJavaScript;
  Struct.fromJavaScript = structFromJavaScript;
  return () => {
    Struct.fromJavaScript = generated;
  };
}
