/**
 * The policies' typed property views (policy/lib/types.ts) against the pinned providers' own types: every
 * field a view declares must be a field of the provider resource (its output properties: every input is
 * one, plus computed outputs such as arn), and the provider's type must fit the view's (so code written
 * for the view handles every value the provider can send). The check is at compile time — a renamed or
 * retyped provider field fails `npm run typecheck` (tsc over test/) — which keeps the pack free of
 * provider packages at run time; the spec below checks that every type token has a view and a provider.
 */
import * as assert from "node:assert/strict";
import { T } from "../../policy/lib/props";
import type { TypeToken, Views } from "../../policy/lib/types";
import type { Fields, Mismatch, Providers } from "../support/provider-types";

/** never for every token when the views fit the providers; a token's mismatching keys otherwise. */
type ViewMismatches = { [K in TypeToken]: Mismatch<Views[K], Fields<Providers[K]>> }[TypeToken];
/** Compiles only when ViewMismatches is never: the error names the keys that do not fit. */
const viewsFitProviders: [ViewMismatches] extends [never] ? true : ViewMismatches = true;

/** Runtime list of the tokens with a provider mapping (a missing or extra key is a compile error). */
const PROVIDER_TOKENS: Record<keyof Providers, true> = Object.fromEntries(
  Object.values(T).map((t) => [t, true]),
) as Record<keyof Providers, true>;

describe("typed policy properties (policy/lib/types.ts)", () => {
  it("every resource type token the policies read has a view checked against its provider type", () => {
    assert.equal(viewsFitProviders, true);
    const tokens = Object.values(T).filter((t) => !t.startsWith("app:") && !t.startsWith("command:"));
    const expected: TypeToken[] = [...(Object.keys(PROVIDER_TOKENS) as TypeToken[])];
    assert.deepEqual(
      tokens.filter((t) => !expected.includes(t as TypeToken)),
      [],
    );
  });
});
