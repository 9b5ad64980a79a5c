/**
 * Summarizes V8 CPU profiles (`node --cpu-prof`) for `npm run bench` and docs/gate.md "Profile": self time
 * per cost centre — a package under node_modules, a directory of this project's build, node's module
 * loader, the garbage collector, idle time.
 */
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The cost centre of a frame. */
export function costCentre(url: string, functionName: string, root: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : `native ${functionName}`;
  const nm = url.lastIndexOf("node_modules/");
  if (nm >= 0) {
    const [a, b] = url.slice(nm + "node_modules/".length).split("/");
    return a.startsWith("@") ? `${a}/${b}` : a;
  }
  if (url.startsWith("node:")) return url.includes("modules/") ? "node module loader" : "node internals";
  const local = url.replace(/^file:\/\//, "");
  const rel = path.relative(root, local).split(path.sep);
  return rel.slice(0, rel[0] === "build" ? 2 : 1).join("/");
}

/** Self time (ms) per cost centre of one profile, largest first. */
export function summarize(file: string, root: string): { total: number; rows: [string, number][] } {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const centre = new Map(p.nodes.map((n) => [n.id, costCentre(n.callFrame.url, n.callFrame.functionName, root)]));
  const self = new Map<string, number>();
  let total = 0;
  p.samples.forEach((id, i) => {
    const ms = (p.timeDeltas[i] ?? 0) / 1000;
    const c = centre.get(id) ?? "?";
    self.set(c, (self.get(c) ?? 0) + ms);
    total += ms;
  });
  return { total, rows: [...self].sort((a, b) => b[1] - a[1]) };
}

/** The profiles written to a directory. */
export function profilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => path.join(dir, f));
}
