#!/usr/bin/env node
// Thin launcher: the compiled entry lives in dist/ (built by `npm run build`).
import nodeModule from "node:module";

// Node >= 22.1 caches compiled code between runs; Node 20 simply skips it.
nodeModule.enableCompileCache?.();
await import("../dist/cli/main.js");
