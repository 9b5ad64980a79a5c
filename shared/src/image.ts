/**
 * Container image references. Shared by the config schema (first line of defence) and the policy pack
 * (second line): a release image must be immutable, either `<repository>:sha-<commit>` or
 * `<repository>@sha256:<digest>`, never `latest` or any other mutable tag.
 */

export interface ImageRef {
  /** Registry + path, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com/artifortress/api`. */
  repository: string;
  /** `sha-<hex>` tag when the reference is tag-based. */
  tag?: string;
  /** The commit encoded in a `sha-<hex>` tag. */
  commit?: string;
  /** `sha256:<hex>` when the reference is digest-based. */
  digest?: string;
}

const REPOSITORY = "[a-z0-9]+(?:[._-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*";
const IMMUTABLE = new RegExp(`^(${REPOSITORY})(?::(sha-([0-9a-f]{7,40}))|@(sha256:[0-9a-f]{64}))$`);
const ANY = new RegExp(`^(${REPOSITORY})(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[0-9a-f]{64}))?$`);

/** Describes the accepted form, for error messages and docs. */
export const IMMUTABLE_IMAGE_HINT =
  "an immutable image reference `<repository>:sha-<7-40 hex commit>` or `<repository>@sha256:<64 hex>`";

/** Parses an immutable image reference; `undefined` when the reference is mutable or malformed. */
export function parseImmutableImage(ref: string): ImageRef | undefined {
  const m = IMMUTABLE.exec(ref);
  if (!m) return undefined;
  return m[2] ? { repository: m[1], tag: m[2], commit: m[3] } : { repository: m[1], digest: m[4] };
}

/** Parses any image reference (mutable tags included); `undefined` when malformed. */
export function parseAnyImage(ref: string): (ImageRef & { mutableTag?: string }) | undefined {
  const m = ANY.exec(ref);
  if (!m) return undefined;
  const immutable = parseImmutableImage(ref);
  if (immutable) return immutable;
  return { repository: m[1], mutableTag: m[2] ?? "latest (implicit)", digest: m[3] };
}

/** True when `commit` (full or abbreviated) and the commit of an image tag name the same commit. */
export function sameCommit(imageCommit: string, releaseCommit: string): boolean {
  const a = imageCommit.toLowerCase();
  const b = releaseCommit.toLowerCase();
  return a.length >= 7 && b.length >= 7 && (a.startsWith(b) || b.startsWith(a));
}
