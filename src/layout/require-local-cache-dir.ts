import { UsageError } from "../errors.ts";
import type { CacheDirResolution } from "./resolve-cache-dir.ts";

/**
 * The local directory of a resolution, or a UsageError that says why there is none (the
 * compiler caches remotely, or caching is off) and how to name a directory instead.
 */
export function requireLocalCacheDir(resolution: CacheDirResolution): string {
  if (resolution.kind === "local") return resolution.path;
  throw new UsageError(`There is no local compile cache to work on: ${resolution.reason}.`, {
    code: "E_NO_LOCAL_CACHE",
    hint: "Pass --cache-dir DIR to name a local cache directory.",
  });
}
