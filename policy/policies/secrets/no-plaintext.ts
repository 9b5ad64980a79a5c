import { SECRET_PLACEHOLDER } from "@app-rollout/shared";
import { resourcePolicy } from "../../lib/define";
import { containers, type Props, peek, T, UNKNOWN, WORKLOAD_TYPES } from "../../lib/props";

const SECRET_NAME = /(pass(word)?|secret|token|private_?key|access_?key|api_?key|connection_?string)/i;
const SECRET_VALUE: [RegExp, string][] = [
  [/AKIA[0-9A-Z]{16}/, "an AWS access key id"],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, "a private key"],
  [/(^|;)\s*password\s*=\s*[^;{]+/i, "a connection string with a password"],
  [/^(ghp|glpat|xox[abp])[-_][A-Za-z0-9_-]{10,}/, "an access token"],
];

/** Why a literal value is a secret in the clear, or undefined. */
export function secretFinding(name: string, value: unknown): string | undefined {
  if (typeof value !== "string" || value === "") return undefined;
  // Only the offline gate sends the placeholder: under the CLI @pulumi/policy unwraps secrets before a
  // policy sees them (server.js:255), and secrets-no-secret-outputs-in-manifests catches them by origin.
  if (value === SECRET_PLACEHOLDER) return "a Pulumi secret written into the manifest in clear";
  for (const [re, what] of SECRET_VALUE) if (re.test(value)) return what;
  if (SECRET_NAME.test(name)) return "a literal value for a secret-named key";
  return undefined;
}

export const secretsNoPlaintext = resourcePolicy({
  name: "secrets-no-plaintext",
  description: "No secret value appears in clear in a pod's env, a ConfigMap or a Kubernetes Secret manifest.",
  area: "secrets",
  readiness: ["no-plaintext-secrets"],
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Store the value in Secrets Manager and deliver it with an ExternalSecret (envFrom/secretKeyRef), never as a literal.",
  validateResource: (args, report) => {
    if (WORKLOAD_TYPES.includes(args.type)) {
      for (const c of containers(args.props)) {
        for (const e of (Array.isArray(c.env) ? c.env : []) as Props[]) {
          if (!e || e.valueFrom) continue;
          // Unknown in a preview: computed by a resource (an address, an ARN); a secret output among them is
          // caught by its origin (secrets-no-secret-outputs-in-manifests).
          const value = peek(() => e.value);
          if (value === UNKNOWN) continue;
          const f = secretFinding(String(e.name), value);
          if (f) report(`container ${c.name} env ${e.name}: ${f}.`);
        }
      }
    } else if (args.type === T.configMap) {
      const data = (args.props.data as Props | undefined) ?? {};
      for (const k of Object.keys(data)) {
        const v = peek(() => data[k]);
        if (v === UNKNOWN) continue;
        const f = secretFinding(k, v);
        if (f) report(`ConfigMap key ${k}: ${f}.`);
      }
    } else if (args.type === T.k8sSecret) {
      const keys = [...Object.keys(args.props.data ?? {}), ...Object.keys(args.props.stringData ?? {})];
      if (keys.length > 0)
        report(
          `Kubernetes Secret carries ${keys.join(", ")} in its manifest (and in the Pulumi state); deliver them with an ExternalSecret instead.`,
        );
    }
  },
});
