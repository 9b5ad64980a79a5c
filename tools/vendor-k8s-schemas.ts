/**
 * Refreshes the vendored Kubernetes schemas the gate validates the plan's objects against
 * (`schemas/vendor/kubernetes/`): for every entry of `sources.json`, reads the upstream file at its tag
 * from a local git clone, keeps what validation needs and writes it with its source recorded.
 *
 *   node -r ts-node/register/transpile-only tools/vendor-k8s-schemas.ts [--mirrors <dir>]
 *
 * `--mirrors` (default `$MIRRORS` or `/work/.mirror`) holds one bare clone per repository as
 * `<owner>+<name>/repo` (or `<owner>/<name>` as a plain clone). Kubernetes: the OpenAPI v2 document of the
 * minor's release branch, pruned to the definitions reachable from the kinds in ROOT_KINDS, descriptions
 * dropped. CRDs: `spec.versions[].schema.openAPIV3Schema` of every served version, descriptions dropped.
 * Not run by the tests: the vendored files are committed, so the gate never needs the network.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

const OUT = path.join(__dirname, "..", "schemas", "vendor", "kubernetes");

/** Kinds whose schemas are kept (what the program creates, and what it could reasonably add). */
const ROOT_KINDS = [
  "io.k8s.api.apps.v1.Deployment",
  "io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler",
  "io.k8s.api.batch.v1.Job",
  "io.k8s.api.core.v1.ConfigMap",
  "io.k8s.api.core.v1.Namespace",
  "io.k8s.api.core.v1.Secret",
  "io.k8s.api.core.v1.Service",
  "io.k8s.api.core.v1.ServiceAccount",
  "io.k8s.api.networking.v1.NetworkPolicy",
  "io.k8s.api.policy.v1.PodDisruptionBudget",
];

interface Source {
  repo: string;
  tag: string;
  path: string;
}

function show(mirrors: string, s: Source): string {
  const [owner, name] = s.repo.split("/");
  const candidates = [path.join(mirrors, `${owner}+${name}`, "repo"), path.join(mirrors, owner, name)];
  const gitDir = candidates.find(existsSync);
  if (!gitDir) throw new Error(`no clone of ${s.repo} under ${mirrors} (tried ${candidates.join(", ")})`);
  return execFileSync("git", ["--git-dir", gitDir, "show", `${s.tag}:${s.path}`], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Drops descriptions (documentation, not validation) everywhere. */
function strip(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(strip);
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (k !== "description") out[k] = strip(x);
  return out;
}

type Defs = Record<string, Record<string, unknown>>;

function refsOf(v: unknown, into: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) refsOf(x, into);
  else if (v && typeof v === "object")
    for (const [k, x] of Object.entries(v)) {
      if (k === "$ref" && typeof x === "string") into.add(x.replace("#/definitions/", ""));
      else refsOf(x, into);
    }
}

function prune(defs: Defs): Defs {
  const keep = new Set<string>();
  const todo = ROOT_KINDS.filter((k) => defs[k]);
  while (todo.length) {
    const name = todo.pop() as string;
    if (keep.has(name)) continue;
    keep.add(name);
    const refs = new Set<string>();
    refsOf(defs[name], refs);
    todo.push(...[...refs].filter((r) => !keep.has(r)));
  }
  return Object.fromEntries([...keep].sort().map((k) => [k, strip(defs[k]) as Record<string, unknown>]));
}

function vendorKubernetes(mirrors: string, s: Source & { minor: string; upstream: string }): void {
  const doc = JSON.parse(show(mirrors, s)) as { definitions: Defs };
  const definitions = prune(doc.definitions);
  const out = { source: { ...s, license: "Apache-2.0" }, definitions };
  writeFileSync(path.join(OUT, `kubernetes-${s.minor}.json`), `${JSON.stringify(out)}\n`);
  console.log(`kubernetes ${s.minor}: ${Object.keys(definitions).length} definitions`);
}

interface CrdDoc {
  spec: {
    group: string;
    names: { kind: string; plural: string };
    versions: { name: string; served: boolean; schema?: { openAPIV3Schema: unknown } }[];
  };
}

function vendorCrd(mirrors: string, s: Source & { addon: string }): void {
  const crd = parse(show(mirrors, s)) as CrdDoc;
  const versions = Object.fromEntries(
    crd.spec.versions.filter((v) => v.served).map((v) => [v.name, strip(v.schema?.openAPIV3Schema ?? {})]),
  );
  const out = {
    source: { ...s, license: "Apache-2.0" },
    group: crd.spec.group,
    kind: crd.spec.names.kind,
    versions,
  };
  mkdirSync(path.join(OUT, "crds"), { recursive: true });
  const file = `${crd.spec.group}_${crd.spec.names.plural}.json`;
  writeFileSync(path.join(OUT, "crds", file), `${JSON.stringify(out)}\n`);
  console.log(`${file}: served ${Object.keys(versions).join(", ")}`);
}

function main(): void {
  const i = process.argv.indexOf("--mirrors");
  const mirrors = i > 0 ? process.argv[i + 1] : (process.env.MIRRORS ?? "/work/.mirror");
  const sources = require(path.join(OUT, "sources.json"));
  for (const s of sources.kubernetes) vendorKubernetes(mirrors, s);
  for (const s of sources.crds) vendorCrd(mirrors, s);
  const licensed = new Set<string>([...sources.kubernetes, ...sources.crds].map((s: Source) => s.repo));
  for (const repo of licensed) {
    const tag = [...sources.kubernetes, ...sources.crds].find((s: Source) => s.repo === repo).tag;
    const text = show(mirrors, { repo, tag, path: "LICENSE" });
    writeFileSync(path.join(OUT, `LICENSE-${repo.replace("/", "+")}.txt`), text);
  }
}

main();
