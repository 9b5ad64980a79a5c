import { LABEL } from "@app-rollout/shared";
import type { PolicyResource } from "@pulumi/policy";
import { stackPolicy } from "../../lib/define";
import { allows, type Connection, NETWORK_POLICY, selects } from "../../lib/network";
import { containers, ofType, type Props, smokeJobs, T } from "../../lib/props";

const SERVICE = "kubernetes:core/v1:Service";
const NAMESPACE = "kubernetes:core/v1:Namespace";
/** CoreDNS on EKS: pods `k8s-app=kube-dns` in kube-system (the smoke test resolves the Service's DNS name). */
const DNS = { namespace: "kube-system", labels: { "k8s-app": "kube-dns" } };

function argValue(job: PolicyResource, flag: string): string | undefined {
  for (const c of containers(job.props)) {
    const args = (Array.isArray(c.args) ? c.args : []) as string[];
    const i = args.indexOf(flag);
    if (i >= 0) return args[i + 1];
  }
  return undefined;
}

function namespaceLabels(resources: PolicyResource[], name: string): Record<string, string> {
  const ns = ofType(resources, NAMESPACE).find((n) => n.props.metadata?.name === name);
  // The API server labels every namespace with its name (Kubernetes ≥ 1.22, NamespaceDefaultLabelName).
  return { ...(ns?.props.metadata?.labels ?? {}), "kubernetes.io/metadata.name": name };
}

/** The container port a Service port's targetPort names (a number, or a container port's name). */
function targetPortOf(deployment: PolicyResource, servicePort: Props): { number: number; name?: string } | undefined {
  const target = servicePort.targetPort ?? servicePort.port;
  for (const c of containers(deployment.props))
    for (const p of (Array.isArray(c.ports) ? c.ports : []) as Props[])
      if (p && (p.containerPort === target || (typeof target === "string" && p.name === target)))
        return { number: p.containerPort, name: p.name };
  return typeof target === "number" ? { number: target } : undefined;
}

/** Why `job` cannot reach the pods it tests, or undefined when every hop of its path is open. */
function brokenHop(resources: PolicyResource[], job: PolicyResource): string | undefined {
  const url = argValue(job, "--url");
  const m = url ? /^https?:\/\/([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?:(\d+)/.exec(url) : null;
  if (!m) return `its --url ${url ?? "(none)"} is not a Service address http://<service>.<namespace>.svc:<port>.`;
  const [, serviceName, ns, port] = m;
  const service = ofType(resources, SERVICE).find(
    (s) => s.props.metadata?.name === serviceName && s.props.metadata?.namespace === ns,
  );
  if (!service) return `it targets ${url}, but the plan has no Service ${serviceName} in namespace ${ns}.`;
  const ports = service.props.spec?.ports;
  const servicePort = ((Array.isArray(ports) ? ports : []) as Props[]).find((p) => p?.port === Number(port));
  if (!servicePort) return `Service ${serviceName} has no port ${port} (the port of ${url}).`;
  const color = job.props.metadata?.labels?.[LABEL.color];
  const deployment = ofType(resources, T.deployment).find(
    (d) =>
      d.props.metadata?.namespace === ns &&
      service.props.spec?.selector &&
      selects({ matchLabels: service.props.spec.selector }, d.props.spec?.template?.metadata?.labels ?? {}),
  );
  if (!deployment) return `Service ${serviceName} selects no Deployment's pods.`;
  if (color && deployment.props.metadata?.labels?.[LABEL.color] !== color)
    return `it tests ${color}, but Service ${serviceName} selects the pods of ${deployment.name}.`;
  const target = targetPortOf(deployment, servicePort);
  if (!target)
    return `Service ${serviceName} port ${port} targets ${servicePort.targetPort}, which no container names.`;
  const from = { namespace: job.props.metadata?.namespace, labels: job.props.spec?.template?.metadata?.labels ?? {} };
  const to = { namespace: ns, labels: deployment.props.spec?.template?.metadata?.labels ?? {} };
  const c: Connection = { from, to, protocol: "TCP", port: target };
  const nps = ofType(resources, NETWORK_POLICY);
  if (!allows(nps, c, "Egress", namespaceLabels(resources, ns)))
    return `no NetworkPolicy lets its pods send to ${deployment.name}'s pods on TCP ${target.number} (egress).`;
  if (!allows(nps, c, "Ingress", namespaceLabels(resources, from.namespace)))
    return `no NetworkPolicy admits its pods to ${deployment.name}'s pods on TCP ${target.number} (ingress).`;
  const dns: Connection = { from, to: DNS, protocol: "UDP", port: { number: 53 } };
  if (!allows(nps, dns, "Egress", namespaceLabels(resources, DNS.namespace)))
    return `no NetworkPolicy lets its pods resolve ${serviceName}.${ns}.svc (UDP 53 to kube-dns in kube-system).`;
  return undefined;
}

export const edgeSmokePathConnects = stackPolicy({
  name: "edge-smoke-path-connects",
  description:
    "Each smoke test can reach the color it tests: its URL is that color's Service, the Service selects the color's pods on a port a container serves, and the NetworkPolicies let the smoke pods resolve the name and connect (egress and ingress).",
  area: "edge",
  readiness: ["smoke-before-traffic"],
  severity: "critical",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Point the SmokeTest at the color's Service (components/smoke-test.ts) and keep the namespace's allow-smoke-to-api, allow-smoke-egress-to-api and DNS egress NetworkPolicies (components/namespace.ts).",
  validateStack: (args, report) => {
    const jobs = smokeJobs(args.resources);
    if (jobs.length === 0) args.notApplicable("no smoke test Job in the plan (no color under test)");
    for (const job of jobs) {
      const broken = brokenHop(args.resources, job);
      if (broken) report(`smoke test ${job.name} cannot connect: ${broken}`, job.urn);
    }
  },
});
