import { EXIT_CODES } from "../errors.ts";
import { CACHE_DIR_OPTION, COMPILER_VERSION_OPTION } from "./cache-target.ts";
import type { CommandSpec } from "./command-spec.ts";
import { flagOption, stringOption } from "./parse-command-line.ts";

/** `neff-cache cleanup`: remove failed entries, stale locks and more from the local compile cache. */
export const CLEANUP_COMMAND: CommandSpec = {
  name: "cleanup",
  summary: "remove failed entries and stale locks (and optionally more) from the local compile cache",
  args: "",
  minPositionals: 0,
  maxPositionals: 0,
  options: {
    "cache-dir": CACHE_DIR_OPTION,
    "compiler-version": {
      ...COMPILER_VERSION_OPTION,
      help: "current compiler version, for --old-versions (default: NEFF_CACHE_COMPILER_VERSION or the installed neuronx-cc)",
    },
    "no-failed": { type: "boolean", help: "keep failed entries" },
    "no-locks": { type: "boolean", help: "keep lock files" },
    empty: { type: "boolean", help: "also remove empty entries" },
    "old-versions": { type: "boolean", help: "also remove every compiler-version dir but the current one" },
    "max-size": {
      type: "string",
      value: "SIZE",
      help: "evict least-recently-used successful entries until the cache is at most SIZE (e.g. 50G)",
    },
    "unused-for": {
      type: "string",
      value: "DURATION",
      help: "evict successful entries not used for DURATION (e.g. 30d, 12h)",
    },
    wipe: { type: "boolean", help: "remove the whole cache directory" },
    "dry-run": { type: "boolean", help: "change nothing; show what would be removed" },
    force: { type: "boolean", help: "clean even while a Neuron compiler is running" },
  },
  async run(input, context) {
    const [{ cleanup }, { renderCleanup }, { parseSize }, { parseDuration }] = await Promise.all([
      import("../ops/cleanup.ts"),
      import("./render/cleanup.ts"),
      import("../layout/parse-size.ts"),
      import("../layout/parse-duration.ts"),
    ]);
    const maxSize = stringOption(input, "max-size");
    const unusedFor = stringOption(input, "unused-for");
    const result = await cleanup({
      cacheDir: stringOption(input, "cache-dir"),
      compilerVersion: stringOption(input, "compiler-version"),
      env: context.env,
      cwd: context.cwd,
      failed: !flagOption(input, "no-failed"),
      locks: !flagOption(input, "no-locks"),
      empty: flagOption(input, "empty"),
      oldVersions: flagOption(input, "old-versions"),
      wipe: flagOption(input, "wipe"),
      dryRun: flagOption(input, "dry-run"),
      force: flagOption(input, "force"),
      maxSizeBytes: maxSize === undefined ? undefined : parseSize(maxSize),
      unusedForMs: unusedFor === undefined ? undefined : parseDuration(unusedFor),
      signal: context.signal,
    });
    return {
      data: result,
      human: () => renderCleanup(result),
      exitCode: result.errors.length > 0 ? EXIT_CODES.partial : EXIT_CODES.ok,
    };
  },
};
