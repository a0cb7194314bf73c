#!/usr/bin/env node
// Thin launcher: the compiled entry lives in dist/ (built by `npm run build`).
import nodeModule from "node:module";

// Node >= 22.1 caches compiled code between runs; Node 20 simply skips it.
nodeModule.enableCompileCache?.();
// The pinned AWS SDK supports Node 20; its notice concerns future SDK releases, and printed on
// every S3 command it would only bury the output users need.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
await import("../dist/cli/main.js");
