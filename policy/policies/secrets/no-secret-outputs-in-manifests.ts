import type { PolicyResource } from "@pulumi/policy";
import { stackPolicy } from "../../lib/define";
import { T, WORKLOAD_TYPES } from "../../lib/props";

/**
 * Why this is a stack policy, and structural: the engine sends a Pulumi secret to the pack as a secret
 * (pkg/resource/plugin/analyzer_plugin.go:307, KeepSecrets), but @pulumi/policy unwraps it before any
 * validate function sees it (server.js:255 and :351 deserializeProperties(…, false); deserialize.js:117-121
 * returns the plain value). So a secret inlined into a manifest is indistinguishable from a literal to
 * secrets-no-plaintext under the CLI (the "[secret]" placeholder only exists in the offline gate). What
 * the engine does keep is where each input came from: `propertyDependencies` (known at preview, before
 * anything is created). A manifest property computed from a resource whose outputs are secrets carries
 * that secret in clear, in the cluster and in the state.
 *
 * Limits, by construction (property dependencies name a resource, not one of its outputs): a type is
 * listed only when its purpose is the secret (a PrivateKey is not: its publicKeyPem is public; a
 * SecretVersion is, though a manifest that only carries its versionId is flagged too — use the Secret's
 * name or a checksum instead); a secret read from config, a StackReference or a data source
 * (getSecretVersionOutput) has no resource to depend on and is left to secrets-no-plaintext's name and
 * value heuristics and to the gate, whose capture still sees it as a secret.
 */
/** Resource types whose provider schema marks an output secret, and that output. */
const SECRET_OUTPUTS: Record<string, string> = {
  "random:index/randomPassword:RandomPassword": "result",
  "aws:secretsmanager/secretVersion:SecretVersion": "secretString",
  "aws:iam/accessKey:AccessKey": "secret",
};
/** Kubernetes objects whose manifest is readable by whoever can read the object. */
const MANIFESTS: string[] = [
  ...WORKLOAD_TYPES,
  T.configMap,
  "kubernetes:apps/v1:DaemonSet",
  "kubernetes:apps/v1:ReplicaSet",
  "kubernetes:batch/v1:CronJob",
  "kubernetes:core/v1:Pod",
];

/**
 * The secret output of a source resource whose purpose is that secret, or undefined. Not every resource
 * with `additionalSecretOutputs`: an RDS instance marks its password secret, yet a Job legitimately reads
 * its address — property dependencies name the resource, not the output.
 */
function secretOf(source: PolicyResource): string | undefined {
  return SECRET_OUTPUTS[source.type];
}

export const secretsNoSecretOutputsInManifests = stackPolicy({
  name: "secrets-no-secret-outputs-in-manifests",
  description:
    "No Kubernetes workload or ConfigMap property is computed from a resource's secret output (a random password, a secret version, an access key): found by the inputs' property dependencies, so it holds under the CLI, where secrets reach the pack unwrapped, and at preview.",
  area: "secrets",
  readiness: ["no-plaintext-secrets"],
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Store the value in Secrets Manager (AppSecrets) and deliver it with an ExternalSecret (envFrom/secretKeyRef); never pass a secret output into a manifest.",
  validateStack: (args, report) => {
    for (const r of args.resources.filter((x) => MANIFESTS.includes(x.type))) {
      for (const [prop, sources] of Object.entries(r.propertyDependencies ?? {})) {
        for (const s of sources ?? []) {
          const output = s && secretOf(s);
          if (output)
            report(
              `${r.name}: its ${prop} is computed from ${s.name} (${s.type}), whose ${output} is a secret: the value would sit in clear in the manifest and the state.`,
              r.urn,
            );
        }
      }
    }
  },
});
