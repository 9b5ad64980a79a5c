/** Renders docs/signals.md from config/signals.ts and the defaults: every signal, what it gates, its default. */
import { COMMON } from "../config/defaults";
import {
  PLATFORM_ALARMS,
  PUBLICATION_DELAY_MINUTES,
  SIGNAL_DOCS,
  SIGNALS,
  type Signal,
  signalWindowMinutes,
} from "../config/signals";

export const SIGNALS_DOCS_FILE = "docs/signals.md";

const RUNBOOK: Record<Signal, string> = {
  "new-color": '004 "Rollback Triggers" (error rate > 1 % for 5 min, p95 > 1 s); 001 §5 (error rates within baseline)',
  "old-color": '001 §5 "No-go … migration or correctness regressions" (a migration that breaks the running version)',
  "elb-5xx": '002 §6 (alerts: 5xx rate watch); 004 "Success Criteria" (zero downtime)',
  database: '004 "Post-deployment Tasks" (check database performance); 002 §6 (DB reachable)',
  worker: "001 §7 mandatory checks (outbox/job backlog growth, failed search job spikes, policy timeout spikes)",
};

function signalRows(): string[] {
  const gates = COMMON.rollout?.gates ?? {};
  const a = COMMON.alarms ?? {};
  const color = {
    errorRateMinutes: a.errorRateMinutes ?? 0,
    p95LatencyMinutes: a.p95LatencyMinutes ?? 0,
    unhealthyHostMinutes: a.unhealthyHostMinutes ?? 0,
  };
  const on = (phase: "preflight" | "traffic" | "watch", s: Signal) => ((gates[phase] ?? []).includes(s) ? "✓" : "–");
  return SIGNALS.map((s) => {
    const alarms =
      s === "new-color" || s === "old-color"
        ? "`<prefix>-<color>-rollback` (composite of `-error-rate`, `-p95-latency`, `-unhealthy-hosts`)"
        : Object.entries(PLATFORM_ALARMS)
            .filter(([, a]) => a.signal === s && !("optional" in a))
            .map(([id]) => `\`<prefix>-${id}\``)
            .join(", ");
    return `| \`${s}\` | ${SIGNAL_DOCS[s]} | ${alarms} | ${signalWindowMinutes(s, color)} min | ${on("preflight", s)} | ${on("traffic", s)} | ${on("watch", s)} | ${RUNBOOK[s]} |`;
  });
}

/** The rules section; its numbers come from the defaults (one definition). */
function rulesSection(): string {
  const r = COMMON.rollout ?? {};
  return `## Rules

- **Preflight** (\`app:rollout.gates.preflight\`): every alarm of every listed signal must exist and be \`OK\`.
  Missing (DescribeAlarms omits unknown names), \`ALARM\` and \`INSUFFICIENT_DATA\` (nothing publishes the
  metric, e.g. a worker without \`cloudwatch:PutMetricData\`) refuse the start: exit 2, nothing changed.
- **During a bake / the watch**: any gating alarm in \`ALARM\` rolls back at the next poll
  (\`app:rollout.pollSeconds\`, default ${r.pollSeconds} s), reason \`AlarmFired\`; an alarm that disappeared rolls
  back with \`SignalsUnavailable\`.
- **Permissions**: preflight reads the evidence once (GetMetricData); a denied call refuses the start, and a
  denied call during a bake is not retried (it rolls back with \`SignalsUnavailable\`).
- **Evidence**: a bake passes only with evidence — at its end the released color must have served
  \`app:rollout.minRequests\` (default ${r.minRequests}) requests (GetMetricData on the \`RequestCount\` query of
  its \`-error-rate\` alarm, with that alarm's own dimensions) and no gating alarm may be
  \`INSUFFICIENT_DATA\`. ALB metrics are not reported when no requests flow, and the color alarms treat missing
  data as not breaching, so "no alarm" alone would pass a canary nobody used. Without evidence the bake is
  extended up to \`app:rollout.noDataExtensionMinutes\` (default ${r.noDataExtensionMinutes}); then
  \`app:rollout.onNoData\` applies: \`rollback\` (default, reason \`NoEvidence\`) or \`pause\` (exit 7, traffic
  stays; \`rollout resume\` bakes the stage again, \`rollout abort\` rolls back).
- **Bake length**: \`app:rollout.bakeMinutes\` must be at least the longest evaluation window of the signals
  in \`gates.traffic\` plus ${PUBLICATION_DELAY_MINUTES} min (a datapoint is published about a minute after its
  period), and \`watchMinutes\` (when not 0) the same for \`gates.watch\` — validated with the stack config
  (\`rollout.bakeMinutes: expected at least … min\`). A shorter bake advances before the alarms judged one
  window of the new traffic. The worker cannot gate traffic steps while it is paused for the migration
  (\`pauseWorkerDuringMigration\`): it publishes nothing then.
- **Worker backlog after the pause**: jobs queue while the worker is paused; its backlog alarm does not gate
  the watch for \`app:rollout.workerDrainMinutes\` (default ${r.workerDrainMinutes}) after \`resume-worker\`.
- **Before every traffic move**: the \`gates.traffic\` alarms are read once more right before each traffic
  step's and the flip's \`up\` (nothing polls while an \`up\` runs): an alarm that fired during the previous
  \`up\` — e.g. the old color during the migration — rolls back before more traffic moves.
- **Resumed bakes**: a bake an earlier process started is polled live for one full window before it may
  pass, even when its planned end is past. Not covered: an alarm that fired and cleared while no process
  polled (the alarm's own actions still paged the topic; DescribeAlarmHistory is not read).
- **Paused releases** are not polled (no process runs): the alarms' own actions still notify the alert
  topic. \`resume\` is refused outside the release window (\`abort\` rolls back).
- **API errors**: a failed DescribeAlarms / GetMetricData (throttling) is retried at the next poll; more than
  \`app:rollout.consecutiveErrorLimit\` (default ${r.consecutiveErrorLimit}, Argo Rollouts' default) in a row
  count as a failure: rollback with \`SignalsUnavailable\`.
- **Worker metrics** reach CloudWatch only through the worker's own IRSA role
  (\`components/worker-identity.ts\`): \`cloudwatch:PutMetricData\` with the condition
  \`cloudwatch:namespace = app:alarms.workerMetrics.namespace\`, nothing else in CloudWatch.

Rehearse any of this offline: \`npm run rollout -- rehearse --stack prod --image <ref> --no-data new\`
(docs/rehearsal.md; scenario keys \`noData\`, \`colors\`, \`worker\`, \`throttle\`, \`missingAlarms\`, \`config\`).

`;
}

function appChecksSection(): string {
  return `## The application's own checks (\`app:checks\`)

One declarative list, run by the in-cluster smoke test before any traffic moves and by the driver:

| Check | Smoke test (deploy stage) | Driver | Runbook |
|---|---|---|---|
| \`/version\` names \`app:checks.service\` and the release | ✓ (fails the deploy) | — | 002 §5 |
| admin ops summary (\`opsSummary.path\`, admin token) answers | ✓ | preflight: refused (exit 2) when it cannot be read; its counters are the baseline | 001 §4.7 |
| critical counters (\`opsSummary.critical\`: dotted path, allowed increase) | — | after each traffic step, the flip and the watch: more than allowed rolls back (\`OpsRegression\`, the counter named in the ledger) | 001 §5 |
| smoke flow (\`flow\`: method, path, auth, body, status, expected fields, saved values) | ✓ (fails the deploy before traffic) | — | 001 §4.8 |
| readiness + ops summary after a rollback | — | recorded in the ledger entry (\`checksAfter\`) | 001 §6.4 |
| hourly for 24 h after a release: readiness, ops summary, watch alarms | — | \`rollout check\` (workflow \`post-deploy-checks\`): pages the alert topic, exit 8 | 001 §7 |

The admin token is the app's bootstrap token: the smoke Job gets it from the Kubernetes Secret External
Secrets keeps in sync with Secrets Manager (\`SMOKE_ADMIN_TOKEN\` from a \`secretKeyRef\`); the driver reads it
from Secrets Manager (\`<namespace>/<stack>/app\`, key \`Auth__BootstrapToken\`) at run time. It is never in
config, argv, a manifest, a file, a log line or a stored record. The default flow (auth, repo read,
draft/publish) publishes a draft each release: point it at a smoke repository of your own.

Notifications and the single-call traffic restore: [release.md](release.md).
`;
}

export function signalsDocs(): string {
  const rows = signalRows();
  return `<!-- generated by npm run gen from config/signals.ts and config/defaults.ts: do not edit -->
# Signals: what gates a release

The rollout driver decides go / no-go from CloudWatch alarms the program creates, grouped into **signals**
(\`config/signals.ts\`). Which signals gate which phase is stack config (\`app:rollout.gates\`); the defaults
come from the runbooks. Alarm names start with \`<namespace>-<stack>\` (e.g. \`artifortress-prod\`).

| Signal | What it sees | Alarms | Evaluation window (default settings) | Preflight | Traffic bakes | Watch | Runbook |
|---|---|---|---|---|---|---|---|
${rows.join("\n")}

${rulesSection()}${appChecksSection()}`;
}
