/**
 * The one place that writes and parses `pulumi up` messages of the driver. The message names the run, so
 * `rollout unlock` can tell whether an update in progress is the one its stale lease owned, and the
 * rehearsal report can map each update to its stage.
 */
export type UpPurpose =
  | { command: "release"; runId: string; version: string; step: string }
  | { command: "rollback"; runId: string; version: string; step: string; reason: string }
  | { command: "apply"; runId: string };

export function formatMessage(p: UpPurpose): string {
  switch (p.command) {
    case "release":
      return `rollout ${p.runId} ${p.version}: ${p.step}`;
    case "rollback":
      return `rollback ${p.runId} of ${p.version}: ${p.step} (${p.reason})`;
    case "apply":
      return `apply ${p.runId}: deployed release keys kept`;
  }
}

const RELEASE = /^rollout (\S+) (\S+): (\S+)$/;
const ROLLBACK = /^rollback (\S+) of (\S+): (\S+) \((.*)\)$/;
const APPLY = /^apply (\S+): /;

export function parseMessage(message: string): UpPurpose | undefined {
  let m = RELEASE.exec(message);
  if (m) return { command: "release", runId: m[1], version: m[2], step: m[3] };
  m = ROLLBACK.exec(message);
  if (m) return { command: "rollback", runId: m[1], version: m[2], step: m[3], reason: m[4] };
  m = APPLY.exec(message);
  if (m) return { command: "apply", runId: m[1] };
  return undefined;
}
