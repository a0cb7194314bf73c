import { UsageError } from "../errors.ts";
import type { CacheDirResolution } from "./resolve-cache-dir.ts";

/**
 * The local directory of a resolution, or a UsageError that says why there is none (the
 * compiler caches remotely, or caching is off) and how to name a directory instead.
 */
export function requireLocalCacheDir(resolution: CacheDirResolution): string {
  if (resolution.kind === "local") return resolution.path;
  const reason = resolution.reason.charAt(0).toUpperCase() + resolution.reason.slice(1);
  throw new UsageError(`${reason}.`, {
    code: "E_NO_LOCAL_CACHE",
    hint: "Pass --cache-dir DIR to name a local cache directory.",
  });
}
