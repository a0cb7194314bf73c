#!/usr/bin/env node
"use strict";
// Thin launcher, CommonJS (bin/package.json) so that a start-up never initialises Node's ES
// module loader. The CLI is bundled into one file, dist/neff-cache.cjs, by `npm run build` (one
// module to load instead of sixty), and that file is compiled through a V8 code cache kept per
// command in the user's cache dir: on Node 20, which has no compile cache of its own, a warm
// `exec` on 1,000 entries took 226 ms of CPU loaded as an ES module and 194 ms this way, and
// `--version` 94 ms vs 79 ms (20 runs each, load 7-8); on Node 24 the two ways are equal.
const fs = require("node:fs");
const nodeModule = require("node:module");
const { homedir } = require("node:os");
const path = require("node:path");

// The pinned AWS SDK supports Node 20; its notice concerns future SDK releases, and printed on
// every S3 command it would only bury the output users need.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const cacheHome = userCacheHome();
// Node >= 22.1 also caches the npm packages the CLI requires (the AWS SDK on an S3 store).
// NODE_COMPILE_CACHE, when set, is Node's own switch and wins.
if (!process.env.NODE_COMPILE_CACHE && cacheHome !== null) {
  nodeModule.enableCompileCache?.(path.join(cacheHome, "node-compile-cache"));
}
const codeCacheDir =
  cacheHome !== null && process.env.NODE_DISABLE_COMPILE_CACHE !== "1"
    ? path.join(cacheHome, "code-cache")
    : null;
runBundle(path.join(__dirname, "..", "dist", "neff-cache.cjs"), codeCacheDir);

/**
 * Runs the bundle as Node runs a CommonJS module, with V8's code cache from `cacheDir` when one
 * fits, and writes one at exit when none did: after the command ran, so that it holds every
 * function the command compiled, not only the top level.
 */
function runBundle(bundle, cacheDir) {
  const vm = require("node:vm");
  const dynamicImports = vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER;
  if (cacheDir === null || dynamicImports === undefined) {
    require(bundle);
    return;
  }
  // esbuild writes every string of the bundle in ASCII (\u escapes), so only a comment can hold
  // another byte: read as Latin-1, the source is a one-byte string however many such comments
  // there are (one "…" made UTF-8 decoding return a two-byte string of the whole bundle, and
  // reading took 2.0 ms instead of 0.5 ms).
  const source = fs.readFileSync(bundle, "latin1");
  const argument = process.argv[2] ?? "";
  const command = /^[a-z][a-z-]{0,31}$/.test(argument) ? argument : "other";
  // One folder per command: what `exec` compiles is not what `ls` does. Options without a
  // command (--version, --help) share "other".
  const file = path.join(cacheDir, command, codeCacheName(fs.statSync(bundle)));
  let cachedData;
  try {
    cachedData = fs.readFileSync(file);
  } catch {
    cachedData = undefined;
  }
  // Node's own CommonJS wrapper, on the first line so that stack traces keep their line numbers.
  const script = new vm.Script(
    `(function (exports, require, module, __filename, __dirname) { ${source}\n})`,
    { filename: bundle, cachedData, importModuleDynamically: dynamicImports },
  );
  const module = { exports: {}, filename: bundle };
  if (cachedData === undefined || script.cachedDataRejected) {
    process.once("exit", () => {
      const known = module.exports.commandNames;
      if (command === "other" || (Array.isArray(known) && known.includes(command)))
        writeCodeCache(file, script);
    });
  }
  // `this` is the module's exports, as for any CommonJS module.
  script
    .runInThisContext()
    .call(
      module.exports,
      module.exports,
      nodeModule.createRequire(bundle),
      module,
      bundle,
      path.dirname(bundle),
    );
}

/**
 * One cache per Node build and bundle: the bundle's size, time and inode change whenever it is
 * rebuilt or reinstalled, and V8 itself refuses a cache made by another V8 or other flags.
 */
function codeCacheName(info) {
  return `${process.version}-${process.arch}-${info.size}-${Math.trunc(info.mtimeMs)}-${info.ino}.v8`;
}

/** Best effort: a cache that cannot be written only means the next start compiles again. */
function writeCodeCache(file, script) {
  try {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, script.createCachedData());
    // A rename, so that a concurrent start reads a whole cache or none.
    fs.renameSync(temporary, file);
    // Caches of replaced bundles never fit again; another install or Node build may still use
    // its own, so only those untouched for a month go (a live one is simply written again).
    const monthAgo = Date.now() - 30 * 24 * 3600_000;
    for (const name of fs.readdirSync(dir)) {
      const other = path.join(dir, name);
      if (other !== file && fs.statSync(other).mtimeMs < monthAgo) fs.rmSync(other, { force: true });
    }
  } catch {
    // Read-only home, full disk, no permission: start-up stays as fast as without a cache.
  }
}

/** `$XDG_CACHE_HOME/neff-cache` or `~/.cache/neff-cache`; null when there is no home dir (a uid without a passwd entry). */
function userCacheHome() {
  try {
    const base = process.env.XDG_CACHE_HOME || path.join(process.env.HOME || homedir(), ".cache");
    return path.join(base, "neff-cache");
  } catch {
    return null;
  }
}
