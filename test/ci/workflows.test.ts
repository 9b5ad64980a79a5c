import * as assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseImmutableImage } from "@app-rollout/shared";
import Ajv from "ajv";
import addFormats from "ajv-formats";
import { parse } from "yaml";
import { ROOT, rawConfig } from "../support/stacks";

const DIR = path.join(ROOT, ".github", "workflows");
const files = readdirSync(DIR).filter((f) => f.endsWith(".yml"));
const texts = Object.fromEntries(files.map((f) => [f, readFileSync(path.join(DIR, f), "utf8")]));
const workflows = Object.fromEntries(files.map((f) => [f, parse(texts[f])]));
const scripts = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;

const ajv = new Ajv({ allErrors: true, strict: false });
addFormats(ajv);
const validate = ajv.compile(
  JSON.parse(readFileSync(path.join(ROOT, "schemas", "vendor", "github-workflow.schema.json"), "utf8")),
);

// biome-ignore lint/suspicious/noExplicitAny: workflow documents are untyped YAML
type Doc = Record<string, any>;

/** npm scripts a shell snippet runs: `npm run [--silent|-s|--opt=value ...] <name>`, `npm test`. */
function npmScripts(run: string): string[] {
  const out = [...run.matchAll(/npm run(?: +-{1,2}[\w-]+(?:=\S+)?)* +([\w:-]+)/g)].map((m) => m[1]);
  if (/npm test\b/.test(run)) out.push("test");
  return out;
}

function steps(doc: Doc): Doc[] {
  return Object.values(doc.jobs as Record<string, Doc>).flatMap((j) => j.steps as Doc[]);
}

/* biome-ignore-start lint/suspicious/noTemplateCurlyInString: GitHub Actions expressions, not JS templates */
/** GitHub Actions expressions the workflows use. */
const EXPR = {
  role: "${{ vars.AWS_ROLE_ARN }}",
  pulumiToken: "${{ secrets.PULUMI_ACCESS_TOKEN }}",
  stackInput: "${{ inputs.stack }}",
};
/* biome-ignore-end lint/suspicious/noTemplateCurlyInString: GitHub Actions expressions, not JS templates */

/** Driver commands that act on the real stack (the rest, plan and rehearse, run offline on the twin). */
const ONLINE = ["start", "resume", "abort", "rollback", "apply", "unlock", "status", "history", "init-store"];

/** The rollout commands a step runs: `rollout -- <command>`, or `rollout -- "${args[@]}"` after `args=(<command> ...)`. */
function rolloutCommands(run: string): string[] {
  const out: string[] = [];
  for (const m of run.matchAll(/npm run(?: +-{1,2}[\w-]+(?:=\S+)?)* +rollout -- +("\$\{args\[@\]\}"|[\w-]+)/g))
    out.push(m[1].startsWith('"') ? (/args=\(([\w-]+)/.exec(run)?.[1] ?? "?") : m[1]);
  return out;
}

const isOnline = (s: Doc) => typeof s.run === "string" && rolloutCommands(s.run).some((c) => ONLINE.includes(c));

function job(f: string, name: string): Doc {
  return (workflows[f] as Doc).jobs[name];
}

function step(f: string, jobName: string, name: string): Doc {
  const s = (job(f, jobName).steps as Doc[]).find((x) => x.name === name);
  assert.ok(s, `${f}: job ${jobName} has a step '${name}'`);
  return s;
}

// --- running a step's script as GitHub does (`bash --noprofile --norc -eo pipefail <file>`) ---------------

/**
 * A stand-in for `npm` on PATH: records its argv and the signals it receives, prints a line, and either
 * exits with STUB_RC at once or waits — like the driver, the first SIGINT/SIGTERM is noted and the second
 * ends it (exit 130).
 */
const STUB = `const fs = require("node:fs");
const log = (s) => fs.appendFileSync(process.env.STUB_RECORD, s + "\\n");
log("pid " + process.pid);
log("argv " + JSON.stringify(process.argv.slice(2)));
process.stdout.write("stub output\\n");
if (process.env.STUB_RC !== undefined) process.exit(Number(process.env.STUB_RC));
let n = 0;
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => { log(sig); if (++n === 2) process.exit(130); });
process.on("exit", () => log("exit"));
log("ready");
setInterval(() => {}, 1000);
`;

let sandbox: string | undefined;
function stubDir(): string {
  if (sandbox) return sandbox;
  sandbox = mkdtempSync(path.join(tmpdir(), "workflow-steps-"));
  writeFileSync(path.join(sandbox, "npm-stub.js"), STUB);
  writeFileSync(
    path.join(sandbox, "npm"),
    `#!/bin/sh\nexec "${process.execPath}" "${path.join(sandbox, "npm-stub.js")}" "$@"\n`,
  );
  chmodSync(path.join(sandbox, "npm"), 0o755);
  return sandbox;
}

/** A job's and a step's `env`, with `${{ inputs.x }}` from `inputs`, secrets as a placeholder, anything else empty. */
function resolvedEnv(
  envs: (Record<string, string> | undefined)[],
  inputs: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const env of envs)
    for (const [k, v] of Object.entries(env ?? {}))
      out[k] = String(v).replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expr: string) => {
        const input = /^inputs\.([\w-]+)$/.exec(expr);
        if (input) return inputs[input[1]] ?? "";
        return expr.startsWith("secrets.") ? "secret-placeholder" : "";
      });
  return out;
}

interface StepRun {
  code: number | null;
  argv: string[][];
  signals: string[];
  summary: string;
  stdout: string;
}

let runCount = 0;
/** Runs a step's `run` script with the stub npm; `signals` are sent to the step's shell once the stub waits. */
async function runStep(
  f: string,
  jobName: string,
  s: Doc,
  o: { inputs?: Record<string, string>; rc?: number; signals?: NodeJS.Signals[]; patienceMs?: number } = {},
): Promise<StepRun> {
  const dir = stubDir();
  const n = ++runCount;
  const script = path.join(dir, `step-${n}.sh`);
  const record = path.join(dir, `record-${n}`);
  const summary = path.join(dir, `summary-${n}.md`);
  writeFileSync(script, s.run);
  writeFileSync(record, "");
  writeFileSync(summary, "");
  const env: Record<string, string> = {
    PATH: `${dir}${path.delimiter}${process.env.PATH}`,
    HOME: process.env.HOME ?? dir,
    GITHUB_STEP_SUMMARY: summary,
    GITHUB_ACTOR: "octocat",
    STUB_RECORD: record,
    ...resolvedEnv([job(f, jobName).env, s.env], o.inputs ?? {}),
  };
  if (o.rc !== undefined) env.STUB_RC = String(o.rc);
  const child: ChildProcess = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], { cwd: ROOT, env });
  let stdout = "";
  child.stdout?.on("data", (d) => {
    stdout += d;
  });
  child.stderr?.resume();
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const lines = () => readFileSync(record, "utf8").split("\n").filter(Boolean);
  const until = async (p: () => boolean, what: string) => {
    for (let i = 0; i < (o.patienceMs ?? 5000) / 10 && !p(); i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(p(), `${f} '${s.name ?? s.run}': ${what}`);
  };
  try {
    for (const [i, sig] of (o.signals ?? []).entries()) {
      await until(() => lines().includes("ready"), "the driver never started");
      child.kill(sig);
      await until(
        () => lines().filter((l) => !/^(argv|pid) /.test(l) && l !== "ready").length > i,
        `${sig} never reached the driver`,
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), 10_000)))]);
    clearTimeout(timer);
    return {
      code,
      argv: lines()
        .filter((l) => l.startsWith("argv "))
        .map((l) => JSON.parse(l.slice(5)) as string[]),
      signals: lines().filter((l) => l.startsWith("SIG")),
      summary: readFileSync(summary, "utf8"),
      stdout,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    // A stub the shell left behind (it would hold the shell's stdout open and keep mocha alive).
    if (!lines().includes("exit"))
      for (const l of lines().filter((x) => x.startsWith("pid ")))
        try {
          process.kill(Number(l.slice(4)), "SIGKILL");
        } catch {
          // already gone
        }
    child.stdout?.destroy();
  }
}

/** The rollout arguments of a stub npm call: what follows `run [opts] rollout --`. */
function rolloutArgs(argv: string[]): string[] {
  const i = argv.indexOf("--");
  assert.ok(argv[0] === "run" && argv.slice(1, i).includes("rollout"), `npm ${argv.join(" ")} runs the rollout script`);
  return argv.slice(i + 1);
}

describe("CI/CD workflows", () => {
  it("there are the five pipelines, the DR drill and the runner image build", () => {
    assert.deepEqual(files.sort(), [
      "deploy-staging.yml",
      "dr-drill.yml",
      "post-deploy-checks.yml",
      "pull-request.yml",
      "release-production.yml",
      "rollback.yml",
      "runner-image.yml",
    ]);
  });

  it("runner-image builds runner/Dockerfile from the repository root and pushes it (by digest, OIDC role)", () => {
    const doc = workflows["runner-image.yml"] as Doc;
    const build = steps(doc).find((s) => String(s.uses ?? "").startsWith("docker/build-push-action"));
    assert.equal(build?.with?.file, "runner/Dockerfile");
    assert.equal(build?.with?.context, ".");
    assert.equal(build?.with?.push, true);
    assert.equal(doc.jobs.build.permissions["id-token"], "write");
    const paths: string[] = doc.on.push.paths;
    for (const p of ["runner/**", "smoke/**", "dbusers/**"]) assert.ok(paths.includes(p), p);
  });

  it("post-deploy-checks runs `rollout check --stack prod` hourly, read-only (no Pulumi CLI, no lease group)", () => {
    const doc = workflows["post-deploy-checks.yml"] as Doc;
    assert.deepEqual(doc.on.schedule, [{ cron: "17 * * * *" }]);
    const ss = doc.jobs.check.steps as Doc[];
    assert.ok(ss.some((x) => /npm run --silent rollout -- check --stack prod --ci/.test(String(x.run ?? ""))));
    assert.ok(!ss.some((x) => String(x.uses ?? "").startsWith("pulumi/actions")), "no Pulumi CLI: it never updates");
    assert.equal(doc.jobs.check.env?.PULUMI_ACCESS_TOKEN, undefined);
  });

  it("dr-drill runs `rollout dr-drill --stack prod` quarterly inside the DR VPC, read-only for the stack", () => {
    const doc = workflows["dr-drill.yml"] as Doc;
    assert.deepEqual(doc.on.schedule, [{ cron: "0 6 1 1,4,7,10 *" }]);
    assert.ok("workflow_dispatch" in doc.on, "runnable on demand");
    assert.deepEqual(doc.jobs.drill["runs-on"], ["self-hosted", "dr-vpc"]);
    const ss = doc.jobs.drill.steps as Doc[];
    assert.ok(ss.some((x) => /npm run --silent rollout -- dr-drill --stack prod --ci/.test(String(x.run ?? ""))));
    assert.ok(!ss.some((x) => String(x.uses ?? "").startsWith("pulumi/actions")), "no Pulumi CLI: it never updates");
    assert.ok(doc.jobs.drill["timeout-minutes"] > 120, "longer than the drill's own --timeout, so it cleans up");
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
        assert.match(
          String(doc.concurrency?.group),
          f === "rollback.yml"
            ? /^rollback-/
            : f === "post-deploy-checks.yml"
              ? /^check-/
              : f === "runner-image.yml"
                ? /^runner-image$/
                : f === "dr-drill.yml"
                  ? /^dr-drill-/
                  : /^deploy-/,
          "releases and applies of one stack share deploy-<stack>; rollbacks have rollback-<stack>; image builds queue",
        );
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
    const ci = new Set(npmScripts(readFileSync(path.join(ROOT, ".ci", "run"), "utf8")));
    const pr = new Set(
      steps(workflows["pull-request.yml"])
        .filter((s) => s.run)
        .flatMap((s) => npmScripts(s.run)),
    );
    assert.deepEqual(
      [...ci].filter((n) => !pr.has(n)),
      [],
      ".ci/run runs nothing the pull-request workflow does not",
    );
    assert.deepEqual(
      [...pr].filter((n) => !ci.has(n)),
      [],
      "the pull-request workflow runs nothing .ci/run does not",
    );
  });

  it("the schema check fails on a broken workflow", () => {
    const broken = structuredClone(workflows["deploy-staging.yml"]) as Doc;
    delete broken.jobs.up["runs-on"];
    broken.jobs.up.timeout = "soon";
    assert.equal(validate(broken), false);
  });

  after(() => {
    if (sandbox) rmSync(sandbox, { recursive: true, force: true });
  });

  describe("the rollout driver in CI (release store, no runner state)", () => {
    it("release-production runs `rollout start --stack prod --image <input> --version <input> --ci`", async () => {
      const inputs = (workflows["release-production.yml"] as Doc).on.workflow_dispatch.inputs;
      assert.equal(inputs.image.required, true);
      assert.equal(inputs.version.required, true, "the driver's default version is the stack file's bootstrap value");
      const s = step("release-production.yml", "release", "Release");
      const image = "123456789012.dkr.ecr.eu-central-1.amazonaws.com/artifortress/api:sha-0123456";
      const plain = await runStep("release-production.yml", "release", s, {
        inputs: { image, version: "1.5.0" },
        rc: 0,
      });
      assert.equal(plain.code, 0);
      assert.deepEqual(plain.argv.map(rolloutArgs), [
        ["start", "--stack", "prod", "--image", image, "--version", "1.5.0", "--ci"],
      ]);
      const full = await runStep("release-production.yml", "release", s, {
        inputs: { image, version: "1.5.0", "worker-image": "w:sha-89abcde" },
        rc: 1,
      });
      assert.equal(full.code, 1, "a release that rolled back (exit 1) fails the job");
      assert.deepEqual(full.argv.map(rolloutArgs), [
        ["start", "--stack", "prod", "--image", image, "--version", "1.5.0", "--ci", "--worker-image", "w:sha-89abcde"],
      ]);
    });

    it("no step leaves state on the runner, reads it back, commits it or edits the stack config", () => {
      for (const f of files) {
        for (const s of steps(workflows[f])) {
          const uses = String(s.uses ?? "");
          assert.ok(
            !/^actions\/(upload|download)-artifact|^actions\/cache|auto-commit|create-pull-request/.test(uses),
            `${f}: ${uses}: the release state lives in the release store, not in artifacts, caches or git`,
          );
          const run = String(s.run ?? "");
          assert.doesNotMatch(run, /\.rollout\b/, `${f}: no .rollout/ progress files any more`);
          assert.doesNotMatch(run, /\bgit +(add|commit|push)\b/, `${f}: nothing is committed from CI`);
          assert.doesNotMatch(run, /\bpulumi +(config|up)\b/, `${f}: the driver composes the config of every up`);
          assert.notEqual(
            s.with?.command,
            "up",
            `${f}: no plain pulumi up (it would deploy the stack file's release keys)`,
          );
        }
        for (const [name, j] of Object.entries((workflows[f] as Doc).jobs as Record<string, Doc>))
          assert.notEqual(j.permissions?.contents, "write", `${f}: job ${name} cannot push`);
      }
    });

    it("every job that runs the driver on a stack has Pulumi, its token and AWS credentials (OIDC) that outlive the job", () => {
      const jobs: string[] = [];
      for (const f of files)
        for (const [name, j] of Object.entries((workflows[f] as Doc).jobs as Record<string, Doc>)) {
          const ss = j.steps as Doc[];
          const first = ss.findIndex(isOnline);
          if (first < 0) continue;
          jobs.push(`${f}:${name}`);
          const aws = ss.findIndex((s) => String(s.uses ?? "").startsWith("aws-actions/configure-aws-credentials"));
          const cli = ss.findIndex((s) => String(s.uses ?? "").startsWith("pulumi/actions"));
          assert.ok(aws >= 0 && aws < first, `${f}:${name} assumes the AWS role before running the driver`);
          assert.equal(ss[aws].with?.["role-to-assume"], EXPR.role);
          assert.ok(cli >= 0 && cli < first, `${f}:${name} installs the Pulumi CLI before running the driver`);
          // The Kubernetes provider needs the cluster's credentials (app:kubeconfig is unset): the kubeconfig
          // of the stack's cluster (app:cluster.name), obtained with the role assumed before.
          const kube = ss.findIndex((s) => /aws eks update-kubeconfig --name "\$cluster"/.test(String(s.run ?? "")));
          assert.ok(kube > aws && kube < first, `${f}:${name} gets the cluster's kubeconfig before running the driver`);
          assert.match(String(ss[kube].run), /config\['app:cluster'\]\.name/);
          assert.equal(ss[cli].with?.command, undefined, `${f}:${name}: pulumi/actions only installs the CLI`);
          assert.equal(j.env?.PULUMI_ACCESS_TOKEN, EXPR.pulumiToken, `${f}:${name} logs in to Pulumi`);
          const session = Number(ss[aws].with?.["role-duration-seconds"] ?? 3600);
          assert.ok(
            session >= Number(j["timeout-minutes"]) * 60,
            `${f}:${name}: the AWS session lasts as long as the job`,
          );
        }
      assert.deepEqual(jobs.sort(), [
        "deploy-staging.yml:up",
        "release-production.yml:release",
        "rollback.yml:rollback",
      ]);
    });

    it("releases and applies of a stack share deploy-<stack>; rollbacks have rollback-<stack>, never the release's group", () => {
      const stackOf = (f: string) => {
        const stacks = new Set(
          steps(workflows[f])
            .filter(isOnline)
            .flatMap((s) => [...String(s.run).matchAll(/--stack "?([\w$]+)"?/g)].map((m) => m[1])),
        );
        assert.equal(stacks.size, 1, `${f} acts on one stack`);
        return [...stacks][0];
      };
      assert.equal(stackOf("release-production.yml"), "prod");
      assert.equal(workflows["release-production.yml"].concurrency.group, "deploy-prod");
      assert.equal(stackOf("deploy-staging.yml"), "staging");
      assert.equal(workflows["deploy-staging.yml"].concurrency.group, "deploy-staging");
      const rollback = workflows["rollback.yml"] as Doc;
      assert.equal(stackOf("rollback.yml"), "$STACK");
      assert.equal(rollback.jobs.rollback.env.STACK, EXPR.stackInput);
      const options = rollback.on.workflow_dispatch.inputs.stack.options as string[];
      assert.deepEqual([...options].sort(), ["prod", "staging"]);
      for (const stack of options) {
        const group = String(rollback.concurrency.group).replace(/\$\{\{\s*inputs\.stack\s*\}\}/g, stack);
        assert.equal(group, `rollback-${stack}`);
        assert.notEqual(group, `deploy-${stack}`, "an emergency rollback never queues behind the release it stops");
      }
      for (const f of ["release-production.yml", "deploy-staging.yml", "rollback.yml"])
        assert.equal(
          workflows[f].concurrency["cancel-in-progress"],
          false,
          `${f}: a running deployment is never cancelled`,
        );
    });

    it("rollback.yml: stack and reason inputs; runs `rollout rollback`, waits inside the job; exit 1 (rolled back) is success", async () => {
      const inputs = (workflows["rollback.yml"] as Doc).on.workflow_dispatch.inputs;
      assert.equal(inputs.stack.required, true);
      assert.equal(inputs.stack.type, "choice");
      assert.equal(inputs.reason.required, true);
      assert.equal(inputs.reason.type, "string");
      const s = step("rollback.yml", "rollback", "Rollback");
      const want = { 0: 0, 1: 0, 2: 2, 3: 3, 4: 4, 5: 5 } as Record<number, number>;
      for (const [rc, code] of Object.entries(want)) {
        const r = await runStep("rollback.yml", "rollback", s, {
          inputs: { stack: "prod", reason: "p95 up" },
          rc: Number(rc),
        });
        assert.equal(r.code, code, `driver exit ${rc} → job ${code === 0 ? "success" : "failure"}`);
        const args = rolloutArgs(r.argv[0]);
        assert.deepEqual(args.slice(0, 3), ["rollback", "--stack", "prod"]);
        assert.ok(args.includes("--ci"));
        const wait = Number(args[args.indexOf("--wait") + 1]);
        assert.ok(
          wait > 0 && wait < Number(job("rollback.yml", "rollback")["timeout-minutes"]),
          "the wait for a running release to hand over fits in the job",
        );
        assert.match(r.summary, /p95 up/, "the reason is in the job summary");
      }
    });

    it("deploy-staging runs `rollout apply --stack staging --ci`, not a plain pulumi up", async () => {
      const r = await runStep("deploy-staging.yml", "up", step("deploy-staging.yml", "up", "rollout apply"), { rc: 0 });
      assert.equal(r.code, 0);
      assert.deepEqual(r.argv.map(rolloutArgs), [["apply", "--stack", "staging", "--ci"]]);
    });

    for (const [f, jobName, name, inputs] of [
      ["release-production.yml", "release", "Release", { image: "r/api:sha-0123456", version: "1.5.0" }],
      ["deploy-staging.yml", "up", "rollout apply", {}],
      ["rollback.yml", "rollback", "Rollback", { stack: "prod", reason: "r" }],
    ] as const)
      it(`${f}: a cancelled job's SIGINT and SIGTERM reach npm, which passes them on to the driver`, async () => {
        const s = step(f, jobName, name);
        assert.equal(
          s.env?.npm_config_script_shell,
          "bash",
          "npm's script shell execs node (sh would keep the signals)",
        );
        const r = await runStep(f, jobName, s, { inputs, signals: ["SIGINT", "SIGTERM"] });
        assert.deepEqual(r.signals, ["SIGINT", "SIGTERM"]);
        assert.equal(r.code, 130, "the step fails with the driver's exit code");
      });

    it("release-production.yml says in a comment what a cancelled job does to the driver", () => {
      const comments = texts["release-production.yml"]
        .split("\n")
        .filter((l) => l.trim().startsWith("#"))
        .join("\n");
      assert.match(comments, /SIGINT/);
      assert.match(comments, /SIGTERM/);
    });

    it("pull requests rehearse a prod release on the twin into the job summary, offline and without credentials", async () => {
      const checks = job("pull-request.yml", "checks");
      const s = (checks.steps as Doc[]).find((x) => rolloutCommands(String(x.run ?? "")).includes("rehearse"));
      assert.ok(s, "the checks job runs `rollout rehearse`");
      assert.equal(checks.permissions?.["id-token"], undefined, "no OIDC token");
      assert.doesNotMatch(
        JSON.stringify(checks),
        /secrets\.|configure-aws-credentials|pulumi\/actions/,
        "no credentials, no CLI",
      );
      const r = await runStep("pull-request.yml", "checks", s, { rc: 0 });
      assert.equal(r.code, 0);
      const args = rolloutArgs(r.argv[0]);
      assert.deepEqual(args.slice(0, 3), ["rehearse", "--stack", "prod"]);
      assert.deepEqual(args.slice(args.indexOf("--format"), args.indexOf("--format") + 2), ["--format", "markdown"]);
      const image = args[args.indexOf("--image") + 1];
      const repository = (rawConfig("prod").api as { imageRepository: string }).imageRepository;
      assert.equal(
        parseImmutableImage(image)?.repository,
        repository,
        `${image}: an immutable tag of the prod API repository`,
      );
      assert.ok(parseImmutableImage(image)?.commit, "a sha-<commit> tag");
      assert.match(r.summary, /stub output/, "the report goes to the job summary");
      assert.equal(r.stdout, "", "and nowhere else");
    });

    it("the step harness notices a broken workflow", async () => {
      const s = structuredClone(step("rollback.yml", "rollback", "Rollback"));
      s.run = String(s.run).replace("0 | 1)", "0)");
      const r = await runStep("rollback.yml", "rollback", s, { inputs: { stack: "prod", reason: "r" }, rc: 1 });
      assert.equal(r.code, 1, "without the mapping a successful rollback fails the job");
      const noExec = structuredClone(step("deploy-staging.yml", "up", "rollout apply"));
      noExec.run = String(noExec.run).replace(/^exec /, "true; ");
      const child = runStep("deploy-staging.yml", "up", noExec, { signals: ["SIGINT"], patienceMs: 500 });
      await assert.rejects(child, /SIGINT never reached the driver/);
    });
  });
});
