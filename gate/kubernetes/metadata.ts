/**
 * What the API server checks of every object's names and labels before any schema (k8s.io/apimachinery
 * pkg/util/validation/validation.go: IsDNS1123Subdomain, IsQualifiedName, IsValidLabelValue), which the
 * OpenAPI schemas do not express. A Job's name is also the value of its `batch.kubernetes.io/job-name`
 * label (Kubernetes ≥ 1.27), so it must be a valid label value: at most 63 characters.
 */
import type { FieldError } from "./validate";

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

type Obj = { kind: string; body: Record<string, unknown> };

function nameErrors(kind: string, name: unknown): FieldError[] {
  if (typeof name !== "string") return [];
  const out: FieldError[] = [];
  if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name))
    out.push({
      path: "metadata.name",
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain (at most 253 characters)`,
    });
  if (kind === "Job" && name.length > 63)
    out.push({
      path: "metadata.name",
      message: `Invalid value: "${name}": must be no more than 63 characters (a Job's name is its batch.kubernetes.io/job-name label)`,
    });
  return out;
}

function labelErrors(at: string, labels: unknown): FieldError[] {
  if (!labels || typeof labels !== "object") return [];
  const out: FieldError[] = [];
  for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
    const [prefix, name] = key.includes("/") ? key.split("/", 2) : [undefined, key];
    if (
      (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix))) ||
      name.length > 63 ||
      !LABEL_NAME.test(name)
    )
      out.push({
        path: `${at}.${key}`,
        message: `Invalid label key "${key}": a qualified name ([prefix/]name, name at most 63 characters)`,
      });
    if (typeof value === "string" && (value.length > 63 || !LABEL_VALUE.test(value)))
      out.push({
        path: `${at}.${key}`,
        message: `Invalid value: "${value}": a label value must be at most 63 characters of letters, digits, '-', '_' or '.', beginning and ending with a letter or digit`,
      });
  }
  return out;
}

export function metadataErrors(o: Obj): FieldError[] {
  const meta = (o.body.metadata ?? {}) as Record<string, unknown>;
  const template = ((o.body.spec as Record<string, unknown> | undefined)?.template ?? {}) as Record<string, unknown>;
  const templateMeta = (template.metadata ?? {}) as Record<string, unknown>;
  return [
    ...nameErrors(o.kind, meta.name),
    ...labelErrors("metadata.labels", meta.labels),
    ...labelErrors("spec.template.metadata.labels", templateMeta.labels),
  ];
}
