/**
 * The twin's state backend (what Pulumi Cloud or a DIY backend keeps per stack): the deployed state (the
 * resources of the last updates, with their physical ids), the update history with the config each update
 * ran with, and the update lock.
 *
 * Modelled on the Pulumi CLI v3.248.0 (tag v3.248.0 of github.com/pulumi/pulumi; full table in docs/twin.md):
 * - the config recorded per update is the config the update ran with, secrets as ciphertext; history
 *   with `--show-secrets` decrypts them with today's provider or shows ERROR_UNABLE_TO_DECRYPT
 *   (pkg/cmd/pulumi/stack/stack_history.go:41, :84-104, :184-189);
 * - `stack history` pages (newest first; 10 per page unless `--page-size`: stack_history.go:130-133;
 *   pkg/backend/httpstate/client/client.go:1413-1418, pkg/backend/diy/state.go:591-602);
 * - an update holds the stack's lock until it ends; a process killed inside it leaves the update "in
 *   progress" and the stack locked until `pulumi cancel` (Pulumi Cloud backend: "Update conflicts",
 *   https://www.pulumi.com/docs/iac/operations/troubleshooting/update-conflicts/), and every later update
 *   fails with the conflict error below (pkg/backend/httpstate/backend.go:1876-1880,
 *   pkg/backend/backenderr/backenderr.go:106-108; the Automation API matches its first line:
 *   node_modules/@pulumi/pulumi/automation/errors.js:66).
 */
import type { CapturedResource } from "../../gate/capture";
import type { StepOp, UpdateSummary } from "../ports";
import { TwinSecretsProvider, UNABLE_TO_DECRYPT } from "./secrets";

/**
 * The CLI's error when another update holds the stack (Pulumi Cloud backend, HTTP 409): the service's
 * message formatted `[%d] %s` (sdk/go/common/apitype/errors.go:72-74) and wrapped with the troubleshooting
 * link (pkg/backend/backenderr/backenderr.go:106-108, v3.248.0), prefixed `error: ` by the CLI.
 */
export const LOCKED_ERROR =
  "error: [409] Conflict: Another update is currently in progress.\nTo learn more about possible reasons and resolution, visit https://www.pulumi.com/docs/support/troubleshooting/common-issues/update-conflicts/";
/**
 * `pulumi cancel` with nothing to cancel (Pulumi Cloud backend): the CLI posts the cancel of the stack's
 * last update (pkg/backend/httpstate/backend.go:2203-2225) and the service answers 409, as reported in
 * pulumi/pulumi#5364. (A stack never updated gets "stack <name> has never been updated", backend.go:2213;
 * a DIY backend succeeds silently, pkg/backend/diy/backend.go:1631-1657.)
 */
export const NOTHING_TO_CANCEL = "error: [409] Conflict: The Update has already completed";
/** Default page size of `pulumi stack history` when the caller gives none (stack_history.go:130-131). */
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
