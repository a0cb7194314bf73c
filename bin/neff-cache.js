#!/usr/bin/env node
// Thin launcher: the CLI is bundled into one file in dist/ by `npm run build` (one module to
// load instead of sixty keeps start-up, and so a warm `exec`, short).
import nodeModule from "node:module";

// Node >= 22.1 caches compiled code between runs; Node 20 simply skips it.
nodeModule.enableCompileCache?.();
// The pinned AWS SDK supports Node 20; its notice concerns future SDK releases, and printed on
// every S3 command it would only bury the output users need.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
await import("../dist/neff-cache.mjs");
