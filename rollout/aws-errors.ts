/** How an AWS SDK error reads to the driver (shared by the real adapters and the twin's ports). */
import { PermissionError, UnavailableError } from "./errors";

export function awsError(e: unknown, what: string): Error {
  const err = e as { name?: string; message?: string };
  if (err.name === "CredentialsProviderError" || /credential/i.test(err.message ?? ""))
    return new UnavailableError(
      `no AWS credentials for ${what}: use the OIDC role in CI or 'aws sso login' locally. Nothing was changed.`,
    );
  if (/AccessDenied|Unauthorized|AuthorizationError|Forbidden/i.test(err.name ?? ""))
    return new PermissionError(
      `${what} was denied (${err.name}: ${err.message}): the driver's role lacks the permission (docs/release.md "One-time set-up")`,
    );
  return new UnavailableError(`${what} failed: ${err.name ?? ""} ${err.message ?? e}`);
}
