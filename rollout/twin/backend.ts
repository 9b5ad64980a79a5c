/**
 * The twin's state backend (what Pulumi Cloud or a DIY backend keeps per stack): the deployed state (the
 * resources of the last updates, with their physical ids), the update history with the config each update
 * ran with, and the update lock.
 *
 * Modelled on the Pulumi CLI (v3.248; citations in docs/twin.md):
 * - the config recorded per update is the config the update ran with, secrets as ciphertext; history
 *   with `--show-secrets` decrypts them with today's provider or shows ERROR_UNABLE_TO_DECRYPT;
 * - `stack history` pages (newest first; 10 per page unless `--page-size`);
 * - an update holds the stack's lock until it ends; a process killed inside it leaves the update "in
 *   progress" and the stack locked until `pulumi cancel`, and every later update fails with the conflict
 *   error below.
 */
import type { CapturedResource } from "../../gate/capture";
import type { StepOp, UpdateSummary } from "../ports";
import { TwinSecretsProvider, UNABLE_TO_DECRYPT } from "./secrets";

/** The CLI's error when another update holds the stack (Pulumi Cloud backend, HTTP 409). */
export const LOCKED_ERROR = "error: [409] Conflict: Another update is currently in progress.";
/** `pulumi cancel` with nothing to cancel. */
export const NOTHING_TO_CANCEL = "error: [400] Bad Request: The Update has already completed";
/** Default page size of `pulumi stack history` when the caller gives none. */
export const DEFAULT_HISTORY_PAGE_SIZE = 10;

export interface StateResource extends CapturedResource {
  /** Physical id in the twin cloud (custom resources). */
  physicalId?: string;
  /** Set when the resource was created but its initialization failed (e.g. a failed Job). */
  initErrors?: string[];
}

export interface TwinStep {
  op: StepOp | "create-replacement" | "delete-replaced" | "refused";
  urn: string;
  type: string;
  name: string;
  at: number;
  /** Changed input paths (updates, replaces) or why it failed. */
  detail?: string[];
  error?: string;
}

export interface UpdateRecord {
  version: number;
  kind: "update";
  message: string;
  result: "succeeded" | "failed" | "in-progress";
  startTime: number;
  endTime?: number;
  /** The config the update ran with: secure values stay ciphertext. */
  config: Record<string, { value: string; secret: boolean }>;
  steps: TwinStep[];
  /** Policy violations that failed the update (resource policies before a step, stack policies after). */
  policyFailures: { policy: string; message: string; when: "before-changes" | "after-changes" }[];
  error?: string;
}

export interface StackState {
  name: string;
  resources: Map<string, StateResource>;
  updates: UpdateRecord[];
  /** The update holding the lock (in progress, or left by a killed process). */
  lock?: { version: number; since: number };
  secrets: TwinSecretsProvider;
}

export class TwinBackend {
  private readonly stacks = new Map<string, StackState>();
  private providers = 0;

  stack(name: string): StackState {
    let s = this.stacks.get(name);
    if (!s) {
      s = { name, resources: new Map(), updates: [], secrets: new TwinSecretsProvider(`p${++this.providers}`) };
      this.stacks.set(name, s);
    }
    return s;
  }

  /** `pulumi stack change-secrets-provider`: a new key; the history keeps the old ciphertexts. */
  changeSecretsProvider(name: string): { before: TwinSecretsProvider; after: TwinSecretsProvider } {
    const s = this.stack(name);
    const before = s.secrets;
    s.secrets = new TwinSecretsProvider(`p${++this.providers}`);
    return { before, after: s.secrets };
  }

  /** `pulumi stack history [--page-size N --page P] [--show-secrets] --json`, newest first. */
  history(
    name: string,
    o: { page?: number; pageSize?: number; showSecrets?: boolean } = {},
  ): (UpdateSummary & {
    config: Record<string, { value: string; secret: boolean }>;
  })[] {
    const s = this.stack(name);
    const size = o.pageSize ?? DEFAULT_HISTORY_PAGE_SIZE;
    const page = Math.max(1, o.page ?? 1);
    return [...s.updates]
      .reverse()
      .slice((page - 1) * size, page * size)
      .map((u) => ({
        version: u.version,
        kind: u.kind,
        result: u.result,
        message: u.message,
        startTime: new Date(u.startTime),
        endTime: u.endTime === undefined ? undefined : new Date(u.endTime),
        config: Object.fromEntries(
          Object.entries(u.config).map(([k, v]) => [
            k,
            v.secret
              ? { value: o.showSecrets ? (s.secrets.decrypt(v.value) ?? UNABLE_TO_DECRYPT) : "[secret]", secret: true }
              : v,
          ]),
        ),
      }));
  }
}
