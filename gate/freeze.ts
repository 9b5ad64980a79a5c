/**
 * Captured plans are frozen, all the way down: memos key on their objects' identity (gate/wire.ts encodes a
 * resource's properties once per properties object, gate/plan.ts shares one plan between callers), so an
 * edit in place must throw instead of leaving a memo describing what the object no longer holds.
 */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}
