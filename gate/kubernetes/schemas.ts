/**
 * The vendored schemas (schemas/vendor/kubernetes, written by tools/vendor-k8s-schemas.ts from the sources
 * in its sources.json): the OpenAPI v2 definitions of each supported Kubernetes minor version and the CRDs
 * of the add-ons the program needs. Files are read once per process, on first use.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { SOURCE_ROOT } from "../runtime";
import type { Resolver, SchemaNode } from "./validate";

export const VENDOR_DIR = path.join(SOURCE_ROOT, "schemas", "vendor", "kubernetes");
export const OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";

export interface Source {
  repo: string;
  tag: string;
  path: string;
}

interface Gvk {
  group: string;
  version: string;
  kind: string;
}

export interface KubernetesSchemas {
  minor: string;
  source: Source;
  definitions: Record<string, SchemaNode & { "x-kubernetes-group-version-kind"?: Gvk[] }>;
}

export interface CrdSchema {
  addon: string;
  source: Source;
  group: string;
  kind: string;
  versions: Record<string, SchemaNode>;
}

const cache = new Map<string, unknown>();

function read<T>(file: string): T {
  if (!cache.has(file)) cache.set(file, JSON.parse(readFileSync(file, "utf8")));
  return cache.get(file) as T;
}

/** Minor versions (`1.34`) whose schemas are vendored, oldest first. */
export function vendoredMinors(): string[] {
  return readdirSync(VENDOR_DIR)
    .map((f) => /^kubernetes-(1\.\d+)\.json$/.exec(f)?.[1])
    .filter((m): m is string => m !== undefined)
    .sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]));
}

export function kubernetesSchemas(minor: string): KubernetesSchemas | undefined {
  if (!vendoredMinors().includes(minor)) return undefined;
  const doc = read<Omit<KubernetesSchemas, "minor">>(path.join(VENDOR_DIR, `kubernetes-${minor}.json`));
  return { minor, ...doc };
}

export function crdSchemas(): CrdSchema[] {
  const dir = path.join(VENDOR_DIR, "crds");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => {
      const doc = read<Omit<CrdSchema, "addon"> & { source: Source & { addon: string } }>(path.join(dir, f));
      return { ...doc, addon: doc.source.addon };
    });
}

export function resolverFor(k: KubernetesSchemas): Resolver {
  return {
    resolve(ref: string) {
      const name = ref.replace("#/definitions/", "");
      const node = k.definitions[name];
      if (!node) throw new Error(`vendored Kubernetes ${k.minor} schema has no definition ${name}`);
      return { name, node };
    },
  };
}

/** The definition of a built-in kind, by its group/version/kind (`""` is the core group). */
export function builtinDefinition(k: KubernetesSchemas, gvk: Gvk): string | undefined {
  return Object.entries(k.definitions).find(([, d]) =>
    (d["x-kubernetes-group-version-kind"] ?? []).some(
      (g) => g.group === gvk.group && g.version === gvk.version && g.kind === gvk.kind,
    ),
  )?.[0];
}
