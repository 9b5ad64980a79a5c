import * as assert from "node:assert/strict";
import {
  isConfigHeld,
  PARSED_CONFIGS_LIMIT,
  parseConfig,
  parsedConfigCount,
  parseFlatConfig,
  rawFromFlatConfig,
} from "../../config/load";
import { loadStackFiles } from "../../gate/stackfiles";
import { ROOT, STACKS } from "../support/stacks";

const flatOf = (stack: string) => loadStackFiles(ROOT, stack).config;

describe("config parsed once per flat config (config/load.ts parseFlatConfig)", () => {
  for (const stack of STACKS) {
    it(`gives what parseConfig gives for the committed ${stack} stack, every time`, () => {
      const flat = flatOf(stack);
      const fresh = parseConfig(rawFromFlatConfig(flat), stack);
      assert.equal(fresh.ok, true);
      assert.deepEqual(parseFlatConfig(flat, stack), fresh);
      assert.deepEqual(parseFlatConfig(flat, stack), fresh, "the held result");
    });
  }

  it("parses an edited value anew: a valid config made invalid is rejected, and valid again accepted", () => {
    const flat = flatOf("prod");
    assert.equal(parseFlatConfig(flat, "prod").ok, true);
    const api = JSON.parse(flat["app:api"]);
    const broken = { ...flat, "app:api": JSON.stringify({ ...api, replicas: "three" }) };
    const r = parseFlatConfig(broken, "prod");
    assert.equal(r.ok, false);
    assert.match(r.ok ? "" : r.problems.map((p) => `${p.key}: ${p.expected}`).join("\n"), /app:api\.replicas/);
    assert.equal(parseFlatConfig(flat, "prod").ok, true);
  });

  it("keys by stack: the same config under another stack name gets that stack's fix commands", () => {
    const flat = { ...flatOf("staging"), "app:api": "not json" };
    const fixes = (stack: string) => {
      const r = parseFlatConfig(flat, stack);
      return r.ok ? [] : r.problems.map((p) => p.fix);
    };
    assert.match(fixes("staging").join("\n"), /--stack staging/);
    assert.match(fixes("other").join("\n"), /--stack other/);
  });

  it("ignores keys outside the project namespace, as rawFromFlatConfig does", () => {
    const flat = { ...flatOf("staging"), "app:note": "namespace test" };
    parseFlatConfig(flat, "staging");
    assert.ok(isConfigHeld({ ...flat, "aws:region": "eu-west-1" }, "staging"), "the same entry serves it");
    assert.ok(!isConfigHeld({ ...flat, "app:note": "another" }, "staging"), "a project key is part of the key");
  });

  it("gives every caller its own copy: an edit by one is not seen by the next", () => {
    const flat = flatOf("prod");
    const a = parseFlatConfig(flat, "prod");
    assert.ok(a.ok);
    const replicas = a.config.api.replicas;
    a.config.api.replicas = replicas + 40;
    const b = parseFlatConfig(flat, "prod");
    assert.ok(b.ok);
    assert.equal(b.config.api.replicas, replicas);
  });

  it("holds at most PARSED_CONFIGS_LIMIT configs", () => {
    const flat = flatOf("staging");
    for (let i = 0; i < PARSED_CONFIGS_LIMIT + 5; i++) parseFlatConfig({ ...flat, "app:extra": String(i) }, "staging");
    assert.equal(parsedConfigCount(), PARSED_CONFIGS_LIMIT);
  });
});
