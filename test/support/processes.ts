/** Whether a process still runs, for specs that check nothing outlives its parent (Linux /proc). */
import { readFileSync } from "node:fs";

/** Running: neither gone nor a zombie (a killed orphan stays a zombie where PID 1 does not reap, as in containers). */
export function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

/** Resolves true once the process is no longer running, false if it still runs after `ms`. */
export async function gone(pid: number, ms: number): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; ) {
    if (!running(pid)) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return !running(pid);
}
