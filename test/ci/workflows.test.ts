import * as assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { ROOT } from "../support/stacks";

const DIR = path.join(ROOT, ".github", "workflows");
const files = readdirSync(DIR).filter((f) => f.endsWith(".yml"));
const workflows = Object.fromEntries(files.map((f) => [f, parse(readFileSync(path.join(DIR, f), "utf8"))]));
const scripts = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(
  JSON.parse(readFileSync(path.join(ROOT, "schemas", "vendor", "github-workflow.schema.json"), "utf8")),
);

// biome-ignore lint/suspicious/noExplicitAny: workflow documents are untyped YAML
type Doc = Record<string, any>;

/** npm scripts a shell snippet runs: `npm run [--silent] <name>`, `npm test`. */
function npmScripts(run: string): string[] {
  const out = [...run.matchAll(/npm run (?:--silent )?([\w:-]+)/g)].map((m) => m[1]);
  if (/npm test\b/.test(run)) out.push("test");
  return out;
}

function steps(doc: Doc): Doc[] {
  return Object.values(doc.jobs as Record<string, Doc>).flatMap((j) => j.steps as Doc[]);
}

describe("CI/CD workflows", () => {
  it("there are the four pipelines", () => {
    assert.deepEqual(files.sort(), [
      "deploy-staging.yml",
      "pull-request.yml",
      "release-production.yml",
      "rollback.yml",
    ]);
  });

  for (const f of files) {
    it(`${f} validates against the GitHub workflow JSON Schema`, () => {
      assert.equal(validate(workflows[f]), true, JSON.stringify(validate.errors, null, 2));
    });

    it(`${f}: every npm command it runs exists in package.json, least privilege, no overlapping deployments`, () => {
      const doc = workflows[f] as Doc;
      for (const s of steps(doc).filter((x) => x.run))
        for (const name of npmScripts(s.run))
          assert.ok(scripts[name], `${f} runs 'npm run ${name}' which package.json does not define`);
      assert.deepEqual(doc.permissions, { contents: "read" }, "top-level permissions are read-only");
      for (const [name, job] of Object.entries(doc.jobs as Record<string, Doc>)) {
        const assumesRole = (job.steps as Doc[]).some((s) =>
          String(s.uses ?? "").startsWith("aws-actions/configure-aws-credentials"),
        );
        if (assumesRole) assert.equal(job.permissions?.["id-token"], "write", `${name} uses OIDC to AWS`);
        else assert.equal(job.permissions?.["id-token"], undefined, `${name} does not need an OIDC token`);
        for (const s of job.steps as Doc[])
          assert.ok(!JSON.stringify(s).match(/AWS_SECRET_ACCESS_KEY|aws-secret-access-key/), "no long-lived AWS keys");
      }
      if (f !== "pull-request.yml") {
        assert.match(String(doc.concurrency?.group), /^deploy-/, "deployments of one stack share a concurrency group");
        assert.equal(doc.concurrency?.["cancel-in-progress"], false, "a running deployment is never cancelled");
      }
    });
  }

  it("production releases need the protected environment and run the rollout driver with the policy pack", () => {
    const job = (workflows["release-production.yml"] as Doc).jobs.release;
    assert.equal(job.environment, "production");
    assert.ok(
      steps(workflows["release-production.yml"]).some((s) =>
        /npm run --silent rollout -- "\$\{args\[@\]\}"/.test(s.run ?? ""),
      ),
    );
    const pr = steps(workflows["pull-request.yml"]).find((s) => String(s.uses).startsWith("pulumi/actions"));
    assert.equal(pr?.with.policyPacks, "policy");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a GitHub Actions expression, not a JS template
    assert.equal(pr?.with.policyPackConfigs, "policy/config/${{ matrix.stack }}.json");
    assert.equal(
      pr?.if,
      "steps.creds.outputs.configured == 'true'",
      "the cloud preview is skipped without credentials",
    );
  });

  it(".ci/run runs the same checks as the pull-request workflow (minus the cloud preview)", () => {
    const ci = readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
    const pr = steps(workflows["pull-request.yml"])
      .filter((s) => s.run)
      .flatMap((s) => npmScripts(s.run));
    assert.deepEqual([...new Set(npmScripts(ci))].sort(), [...new Set(pr)].sort());
  });

  it("the schema check fails on a broken workflow", () => {
    const broken = structuredClone(workflows["deploy-staging.yml"]) as Doc;
    delete broken.jobs.up["runs-on"];
    broken.jobs.up.timeout = "soon";
    assert.equal(validate(broken), false);
  });
});
