/**
 * gate/analyzer.ts `configureRequestBytes`: the `configure` request is encoded once per content and must
 * be, byte for byte, what the generated classes build from the config at the time of the call.
 */
import * as assert from "node:assert/strict";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import {
  CONFIGURE_REQUESTS,
  configureRequestBytes,
  configureRequestsKept,
  type PolicyConfig,
  type StackConfig,
} from "../../gate/analyzer";
import { STACK_CONFIG_ENTRY } from "../../gate/runtime";
import { struct } from "../../gate/wire";

const LEVEL: Record<string, pb.EnforcementLevel> = {
  advisory: pb.EnforcementLevel.ADVISORY,
  mandatory: pb.EnforcementLevel.MANDATORY,
  disabled: pb.EnforcementLevel.DISABLED,
  remediate: pb.EnforcementLevel.REMEDIATE,
};

/** The request built with the generated classes at the time of the call, as `configure` built it before. */
function generated(config: PolicyConfig, stack?: StackConfig): Buffer {
  const req = new pb.ConfigureAnalyzerRequest();
  for (const [name, c] of Object.entries(config)) {
    const pc = new pb.PolicyConfig();
    pc.setEnforcementlevel(LEVEL[c.enforcementLevel]);
    pc.setProperties(struct(c.properties));
    req.getPolicyconfigMap().set(name, pc);
  }
  if (stack) {
    const pc = new pb.PolicyConfig();
    const entry = { config: JSON.stringify(stack.config), secretKeys: JSON.stringify(stack.secretKeys ?? []) };
    pc.setProperties(struct({ ...entry, stack: stack.stack }));
    req.getPolicyconfigMap().set(STACK_CONFIG_ENTRY, pc);
  }
  return Buffer.from(req.serializeBinary());
}

function policyConfig(): PolicyConfig {
  return {
    "release-window": { enforcementLevel: "mandatory", properties: { at: "2026-11-26T10:00:00Z", grace: 5 } },
    "edge-https-listener": {
      enforcementLevel: "advisory",
      properties: { allowedSslPolicies: ["ELBSecurityPolicy-TLS13-1-2-2021-06"], nested: { deep: [1, { x: null }] } },
    },
    "data-pitr": { enforcementLevel: "disabled", properties: {} },
  };
}

const stack: StackConfig = {
  config: { "app:api": JSON.stringify({ replicas: 3 }), "aws:region": "eu-central-1" },
  secretKeys: ["app:oidc"],
  stack: "prod",
};

describe("configure requests encoded once per content (gate/analyzer.ts)", () => {
  it("are the generated request's bytes, with and without a stack config, also when asked again", () => {
    for (const s of [undefined, stack, { ...stack, secretKeys: undefined }, { ...stack, stack: "staging" }]) {
      const config = policyConfig();
      assert.deepEqual(configureRequestBytes(config, s), generated(config, s), JSON.stringify(s));
      assert.deepEqual(configureRequestBytes(policyConfig(), s), generated(config, s), "asked again");
    }
  });

  it("follow every field: an enforcement level, a property, a policy more, a config edited in place", () => {
    const base = policyConfig();
    const variants: PolicyConfig[] = [
      { ...base, "data-pitr": { enforcementLevel: "advisory", properties: {} } },
      {
        ...base,
        "release-window": { ...base["release-window"], properties: { at: "2026-11-26T11:00:00Z", grace: 5 } },
      },
      { ...base, extra: { enforcementLevel: "remediate", properties: { v: "1" } } },
    ];
    const seen = new Set([configureRequestBytes(base, stack).toString("base64")]);
    for (const v of variants) {
      const bytes = configureRequestBytes(v, stack);
      assert.deepEqual(bytes, generated(v, stack), JSON.stringify(v));
      seen.add(bytes.toString("base64"));
    }
    assert.equal(seen.size, variants.length + 1, "two different configs share one request");
    // jspb writes a map's entries in key order: the same config in another order is the same request.
    const reversed = Object.fromEntries(Object.entries(base).reverse());
    assert.deepEqual(configureRequestBytes(reversed, stack), generated(reversed, stack));
    assert.deepEqual(configureRequestBytes(reversed, stack), configureRequestBytes(base, stack));
    const edited = policyConfig();
    configureRequestBytes(edited, stack);
    edited["release-window"].properties.grace = 6;
    (edited["edge-https-listener"].properties.allowedSslPolicies as string[]).push(
      "ELBSecurityPolicy-TLS13-1-3-2021-06",
    );
    assert.deepEqual(configureRequestBytes(edited, stack), generated(edited, stack), "the request before the edit");
    const other = { ...stack, config: { ...stack.config, "app:api": JSON.stringify({ replicas: 4 }) } };
    assert.notDeepEqual(configureRequestBytes(base, other), configureRequestBytes(base, stack));
    assert.deepEqual(configureRequestBytes(base, other), generated(base, other));
  });

  it("are keyed by what the request is built from: getters, toJSON and fields it does not read", () => {
    class Stack implements StackConfig {
      readonly #name: string;
      constructor(
        readonly config: Record<string, string>,
        name: string,
      ) {
        this.#name = name;
      }
      get stack() {
        return this.#name;
      }
    }
    const p = { enforcementLevel: "mandatory" as const, properties: { v: 1 } };
    const cases: [PolicyConfig, StackConfig | undefined][] = [
      [{ p }, new Stack({ a: "1" }, "prod")],
      [{ p }, new Stack({ a: "1" }, "staging")],
      [{ p }, undefined],
      [{ p, q: Object.assign(() => 0, { enforcementLevel: "advisory" as const, properties: {} }) }, undefined],
      [
        { p: { ...p, toJSON: () => ({ enforcementLevel: "advisory", properties: { v: 2 } }) } as PolicyConfig[string] },
        undefined,
      ],
      [{ p: { ...p, unread: 10n } as unknown as PolicyConfig[string] }, undefined],
      [{ p: { enforcementLevel: "bogus" as "advisory", properties: { v: 1 } } }, undefined],
    ];
    for (const [i, [config, stack]] of cases.entries())
      assert.deepEqual(configureRequestBytes(config, stack), generated(config, stack), `case ${i}`);
    assert.notDeepEqual(configureRequestBytes(...cases[0]), configureRequestBytes(...cases[1]), "another stack name");
    // An unknown level is sent as before and not kept: a name that is a prototype's function fails, as the
    // generated serializer does, even right after an unknown level of the same policy and properties.
    const unknown = { p: { enforcementLevel: "bogus" as "advisory", properties: {} } };
    assert.deepEqual(configureRequestBytes(unknown), generated(unknown));
    const broken = { p: { enforcementLevel: "constructor" as "advisory", properties: {} } };
    assert.throws(
      () => configureRequestBytes(broken),
      (e: Error) => e.name === "PolicyPackError" && /Request message serialization failure/.test(e.message),
    );
  });

  it("stay right past the number kept, and reject what cannot be sent as JSON", () => {
    for (let i = 0; i < CONFIGURE_REQUESTS + 5; i++) {
      const c = { only: { enforcementLevel: "advisory" as const, properties: { i } } };
      assert.deepEqual(configureRequestBytes(c), generated(c));
    }
    assert.equal(configureRequestsKept(), CONFIGURE_REQUESTS);
    const first = { only: { enforcementLevel: "advisory" as const, properties: { i: 0 } } };
    assert.deepEqual(configureRequestBytes(first), generated(first), "a dropped request is built again");
    const bad = { only: { enforcementLevel: "advisory" as const, properties: { at: 10n } } };
    assert.throws(() => configureRequestBytes(bad), /BigInt/);
  });
});
