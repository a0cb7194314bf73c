#!/usr/bin/env node
// Thin launcher: the CLI is bundled into one file in dist/ by `npm run build` (one module to
// load instead of sixty keeps start-up, and so a warm `exec`, short).
import nodeModule from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";

// Node >= 22.1 caches compiled code between runs (--version: 50 ms -> 44 ms CPU, 21 runs
// alternated, load 4.4); Node 20 simply skips it. The cache lives in the user's cache dir, not
// Node's default under the shared temporary dir, where the first user's files would be
// unwritable for every other user of the machine. NODE_COMPILE_CACHE, when set, is Node's own
// switch and wins.
if (!process.env.NODE_COMPILE_CACHE) nodeModule.enableCompileCache?.(compileCacheDir());

// The pinned AWS SDK supports Node 20; its notice concerns future SDK releases, and printed on
// every S3 command it would only bury the output users need.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
await import("../dist/neff-cache.mjs");

/** Undefined (Node's default place) when no home directory can be found, e.g. a uid without a passwd entry. */
function compileCacheDir() {
  try {
    const cacheHome = process.env.XDG_CACHE_HOME || join(process.env.HOME || homedir(), ".cache");
    return join(cacheHome, "neff-cache", "node-compile-cache");
  } catch {
    return undefined;
  }
}
