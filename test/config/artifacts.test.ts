import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { renderArtifacts } from "../../config/artifacts";
import { POLICY_DOCS_FILE, policyDocs } from "../../tools/policy-docs";
import { ROOT, STACKS } from "../support/stacks";

describe("artifacts derived from the config schema", () => {
  const artifacts: Record<string, string> = { ...renderArtifacts(), [POLICY_DOCS_FILE]: policyDocs() };

  for (const [file, content] of Object.entries(artifacts)) {
    it(`committed ${file} is up to date (npm run gen)`, () => {
      const committed = readFileSync(path.join(ROOT, file), "utf8");
      assert.equal(committed, content, `${file} is stale: run npm run gen`);
    });
  }

  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(JSON.parse(artifacts["schemas/stack-config.schema.json"]));
  const stackFile = (stack: string) => parse(readFileSync(path.join(ROOT, `Pulumi.${stack}.yaml`), "utf8"));

  for (const stack of STACKS) {
    it(`Pulumi.${stack}.yaml validates against the generated JSON Schema`, () => {
      assert.equal(validate(stackFile(stack)), true, JSON.stringify(validate.errors, null, 2));
    });
  }

  it("the JSON Schema rejects an out-of-range value, an unknown app key and a secret in clear", () => {
    const doc = stackFile("staging");
    doc.config["app:blueGreen"].canaryWeight = 150;
    doc.config["app:blueGreeen"] = {};
    doc.config["app:oidcHs256SharedSecret"] = "plaintext-secret-in-the-stack-file-0123456789";
    assert.equal(validate(doc), false);
    const paths = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    assert.ok(
      paths.some((p) => p.startsWith("/config/app:blueGreen/canaryWeight")),
      paths.join("\n"),
    );
    assert.ok(
      paths.some((p) => p.includes("additional properties")),
      paths.join("\n"),
    );
    assert.ok(
      paths.some((p) => p.startsWith("/config/app:oidcHs256SharedSecret")),
      paths.join("\n"),
    );
  });

  it("the reference documents every key with its per-environment default", () => {
    const doc = artifacts["docs/configuration.md"];
    assert.match(doc, /\| `app:database\.multiAz` \| boolean \| staging `false`, prod `true` \|/);
    assert.match(doc, /\| `app:blueGreen\.canaryWeight` \| integer \| `0` \|/);
    assert.match(doc, /\| `app:oidcHs256SharedSecret` \| string \| optional \| .*\*\*Secret\*\*/);
  });
});
