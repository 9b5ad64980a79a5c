import * as assert from "node:assert/strict";
import { cachedTexts, LIMIT, parseYaml } from "../../gate/yaml";

describe("YAML parsed once per text (gate/yaml.ts)", () => {
  it("gives every caller its own copy: an edit by one is not seen by the next", () => {
    const text = "config:\n  app:api:\n    replicas: 3\n    paths: [/ready]\n";
    const a = parseYaml(text) as { config: Record<string, { replicas: number; paths: string[] }> };
    a.config["app:api"].replicas = 99;
    a.config["app:api"].paths.push("/live");
    assert.deepEqual(parseYaml(text), { config: { "app:api": { replicas: 3, paths: ["/ready"] } } });
  });

  it("parses an edited text anew, and an empty one as null", () => {
    assert.deepEqual(parseYaml("a: 1\n"), { a: 1 });
    assert.deepEqual(parseYaml("a: 2\n"), { a: 2 });
    assert.equal(parseYaml(""), null);
  });

  it("throws yaml's error for invalid text every time, without caching it", () => {
    for (let i = 0; i < 2; i++) assert.throws(() => parseYaml("a: [1, 2\n"), /Flow sequence|flow collection|end/i);
  });

  it("holds at most LIMIT texts", () => {
    for (let i = 0; i < LIMIT + 10; i++) parseYaml(`n: ${i}\n`);
    assert.equal(cachedTexts(), LIMIT);
    assert.deepEqual(parseYaml("n: 0\n"), { n: 0 }, "an evicted text still parses");
  });
});
