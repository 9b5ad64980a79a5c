import { stackPolicy } from "../../lib/define";
import { stackConfig } from "../../lib/stack-config";

export const releaseWindow = stackPolicy({
  name: "release-window",
  description: "The deployment happens inside the approved release window.",
  area: "release",
  readiness: ["release-approval"],
  severity: "high",
  enforcementLevel: "mandatory",
  remediationSteps:
    "Deploy inside app:release.window, or get a new window approved and set app:release.window.start/end.",
  configSchema: {
    properties: {
      at: { type: "string", default: "", description: "Evaluate at this ISO time instead of now (gate --at, tests)." },
    },
  },
  validateStack: (args, report) => {
    const { at } = args.getConfig<{ at: string }>();
    const now = at ? Date.parse(at) : Date.now();
    const w = stackConfig().release?.window ?? {};
    const start = Date.parse(w.start);
    const end = Date.parse(w.end);
    if (Number.isNaN(start) || Number.isNaN(end)) {
      report("app:release.window.start/end are not set.");
      return;
    }
    const when = new Date(now).toISOString();
    if (now < start) report(`${when} is before the release window (${w.start} – ${w.end}).`);
    else if (now > end) report(`${when} is after the release window (${w.start} – ${w.end}).`);
  },
});
