/**
 * Kubernetes validation inside the gate: every Kubernetes object of a captured plan is validated against
 * the vendored schema of the cluster's minor version (built-ins) or of its add-on's CRD (custom
 * resources), and the plan's version requirements are compared with `app:cluster.*`. Any invalid object,
 * unknown kind or unmet requirement makes the gate no-go.
 */
import type { ClusterVersions } from "../../config/schema";
import type { CapturedResource } from "../capture";
import { metadataErrors } from "./metadata";
import { checkRequirements, type KubernetesObject, type Requirement, type RequirementResult } from "./requirements";
import {
  builtinDefinition,
  type CrdSchema,
  crdSchemas,
  type KubernetesSchemas,
  kubernetesSchemas,
  OBJECT_META,
  resolverFor,
  vendoredMinors,
} from "./schemas";
import { type FieldError, validateObject } from "./validate";

export interface InvalidObject {
  urn: string;
  name: string;
  apiVersion: string;
  kind: string;
  /** Field path inside the object (`spec.targetType`), empty for the object as a whole. */
  path: string;
  message: string;
}

export interface KubernetesReport {
  /** The cluster's minor version the built-ins were validated against. */
  version: string;
  /** Objects validated (built-ins and custom resources). */
  validated: number;
  invalid: InvalidObject[];
  requirements: RequirementResult[];
  schemas: { kubernetes?: string; crds: string[] };
}

const PROVIDER_TYPE = /^pulumi:providers:/;

/** The Kubernetes objects of a plan: custom resources of the kubernetes provider, with their body. */
export function kubernetesObjects(resources: CapturedResource[]): (KubernetesObject & { r: CapturedResource })[] {
  return resources
    .filter((r) => r.custom && r.type.startsWith("kubernetes:") && !PROVIDER_TYPE.test(r.type))
    .map((r) => {
      const [, gv, kind] = r.type.split(":");
      const version = gv.split("/").pop() as string;
      const group = gv.split("/").slice(0, -1).join("/");
      const body = r.inputs as Record<string, unknown>;
      const apiVersion = String(body.apiVersion ?? (group === "core" ? version : `${group}/${version}`));
      return { apiVersion, kind: String(body.kind ?? kind), body, r };
    });
}

function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.lastIndexOf("/");
  return i < 0
    ? { group: "", version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

function findCrd(group: string, kind: string): CrdSchema | undefined {
  return crdSchemas().find((c) => c.group === group && c.kind === kind);
}

/** Field errors of one object, or one object-level error when no schema describes its kind. */
function validateOne(k: KubernetesSchemas, o: KubernetesObject): FieldError[] {
  const { group, version } = splitApiVersion(o.apiVersion);
  const resolver = resolverFor(k);
  const builtin = builtinDefinition(k, { group, version, kind: o.kind });
  if (builtin) return validateObject(k.definitions[builtin], o.body, resolver, { rootName: builtin });
  const crd = findCrd(group, o.kind);
  if (!crd)
    return [
      {
        path: "",
        message: `no schema for ${o.apiVersion} ${o.kind}: not a built-in kind of Kubernetes ${k.minor} and no vendored CRD (schemas/vendor/kubernetes/sources.json)`,
      },
    ];
  const schema = crd.versions[version];
  if (!schema)
    return [
      {
        path: "apiVersion",
        message: `Unsupported value: "${o.apiVersion}": ${crd.source.repo} ${crd.source.tag} serves ${Object.keys(crd.versions).join(", ")}`,
      },
    ];
  const { metadata, ...rest } = o.body;
  // The API server validates a custom resource's metadata as ObjectMeta whatever the CRD says about it.
  return [
    ...validateObject({ $ref: `#/definitions/${OBJECT_META}` }, metadata, resolver, { at: "metadata" }),
    ...validateObject(schema, { ...rest, metadata: {} }, resolver),
  ];
}

function sourceLine(s: { repo: string; tag: string; path: string }): string {
  return `${s.repo}@${s.tag}:${s.path}`;
}

/**
 * The gate validates custom resources against the vendored CRDs: a cluster running an older release of the
 * add-on may not know a field they accept (found by review). So the installed release must be at least the
 * vendored one — vendor the CRDs of the release you run (tools/vendor-k8s-schemas.ts).
 */
function vendoredCrdRequirements(): Requirement[] {
  return crdSchemas()
    .filter((c) => c.addon !== undefined)
    .map((c) => ({
      component: c.addon as Requirement["component"],
      minimum: c.source.tag.replace(/^v/, ""),
      feature: `the ${c.kind} schema the gate validates with`,
      source: `${sourceLine(c.source)} (vendored: refresh it for the installed release with tools/vendor-k8s-schemas.ts)`,
      needs: (o: KubernetesObject) => splitApiVersion(o.apiVersion).group === c.group && o.kind === c.kind,
    }));
}

/**
 * Field errors of a captured object against one Kubernetes minor, once per captured resource object: a
 * rehearsal validates the same (never mutated) objects at every stage — 1.8 s of a 69 s scenario run.
 */
const validated = new WeakMap<CapturedResource, Map<string, FieldError[]>>();

function errorsOf(k: KubernetesSchemas, o: KubernetesObject & { r: CapturedResource }): FieldError[] {
  let byMinor = validated.get(o.r);
  if (!byMinor) {
    byMinor = new Map();
    validated.set(o.r, byMinor);
  }
  let errors = byMinor.get(k.minor);
  if (!errors) {
    errors = [...metadataErrors(o), ...validateOne(k, o)];
    byMinor.set(k.minor, errors);
  }
  return errors;
}

/** Validates every Kubernetes object of the plan and checks the version requirements. */
export function checkKubernetes(resources: CapturedResource[], versions: ClusterVersions): KubernetesReport {
  const objects = kubernetesObjects(resources);
  const minor = versions.kubernetesVersion;
  const k = kubernetesSchemas(minor);
  const base = {
    version: minor,
    requirements: checkRequirements(
      objects.map((o) => ({ ...o, name: o.r.name })),
      versions,
      vendoredCrdRequirements(),
    ),
    schemas: { kubernetes: k ? sourceLine(k.source) : undefined, crds: crdSchemas().map((c) => sourceLine(c.source)) },
  };
  if (!k) {
    const message = `no vendored schema for Kubernetes ${minor} (app:cluster.kubernetesVersion); vendored: ${vendoredMinors().join(", ")}`;
    return { ...base, validated: 0, invalid: [{ urn: "", name: "", apiVersion: "", kind: "", path: "", message }] };
  }
  const invalid = objects.flatMap((o) =>
    errorsOf(k, o).map((e) => ({
      urn: o.r.urn,
      name: o.r.name,
      apiVersion: o.apiVersion,
      kind: o.kind,
      ...e,
    })),
  );
  return { ...base, validated: objects.length, invalid };
}

/** True when the Kubernetes check alone makes the gate no-go. */
export function kubernetesBlocks(k: KubernetesReport): boolean {
  return k.invalid.length > 0 || k.requirements.some((r) => !r.ok);
}

export interface KubernetesFinding {
  /** `kubernetes-schema` (an object the API server would reject) or `kubernetes-version` (a minimum not met). */
  check: "kubernetes-schema" | "kubernetes-version";
  resourceName: string;
  message: string;
}

/** What blocks, one line each, with the fix for a version that is too old or not declared. */
export function kubernetesFindings(k: KubernetesReport, stack: string): KubernetesFinding[] {
  const schema = k.invalid.map((i) => ({
    check: "kubernetes-schema" as const,
    resourceName: i.name,
    message: i.kind ? `${i.apiVersion} ${i.kind} ${i.name}: ${i.path ? `${i.path}: ` : ""}${i.message}` : i.message,
  }));
  const versions = k.requirements
    .filter((r) => !r.ok)
    .map((r) => ({
      check: "kubernetes-version" as const,
      resourceName: r.neededBy[0] ?? "",
      message: `${r.feature} (${r.neededBy.join(", ")}) needs ${r.component} ≥ ${r.minimum} (${r.source}); ${r.configKey} is ${r.configured ?? "not set"}. Fix: pulumi config set --path '${r.configKey}' <installed version ≥ ${r.minimum}> --stack ${stack}`,
    }));
  return [...schema, ...versions];
}
