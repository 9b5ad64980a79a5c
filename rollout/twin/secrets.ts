/**
 * The twin's secrets provider: real authenticated encryption (AES-256-GCM), so a ciphertext written with
 * one provider key cannot be read with another — as after `pulumi stack change-secrets-provider`, where the
 * stack file is re-encrypted but the configs recorded in the stack's history keep the old ciphertexts and
 * `stack history --show-secrets` shows them as ERROR_UNABLE_TO_DECRYPT: the CLI decrypts with the stack's
 * current secrets manager and, when a value fails, prints that marker instead of failing (Pulumi CLI
 * v3.248.0, pkg/cmd/pulumi/stack/stack_history.go:41 `errorDecryptingValue`, :94 `GetDecrypter`,
 * :184-189). Without `--show-secrets` the JSON has no `value` for a secret at all (:184, `omitempty` at
 * :159). Full table in docs/twin.md.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

export const UNABLE_TO_DECRYPT = "ERROR_UNABLE_TO_DECRYPT";

export class TwinSecretsProvider {
  private readonly key = randomBytes(32);

  constructor(readonly id: string) {}

  encrypt(plaintext: string): string {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([c.update(plaintext, "utf8"), c.final()]);
    return `v1:${Buffer.concat([iv, c.getAuthTag(), body]).toString("base64")}`;
  }

  /** The plaintext, or undefined when this provider did not write the ciphertext. */
  decrypt(ciphertext: string): string | undefined {
    if (!ciphertext.startsWith("v1:")) return undefined;
    const raw = Buffer.from(ciphertext.slice(3), "base64");
    if (raw.length < 28) return undefined;
    try {
      const d = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString("utf8");
    } catch {
      return undefined;
    }
  }
}
