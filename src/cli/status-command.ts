import { CACHE_DIR_OPTION, COMPILER_VERSION_OPTION } from "./cache-target.ts";
import type { CommandSpec } from "./command-spec.ts";
import { flagOption, stringOption } from "./parse-command-line.ts";

/** `neff-cache status`: what the local compile cache holds. */
export const STATUS_COMMAND: CommandSpec = {
  name: "status",
  summary: "show the local compile cache: entries per state, sizes, compiler versions",
  args: "",
  minPositionals: 0,
  maxPositionals: 0,
  options: {
    "cache-dir": CACHE_DIR_OPTION,
    "compiler-version": COMPILER_VERSION_OPTION,
    entries: { type: "boolean", help: "list every entry" },
  },
  async run(input, context) {
    const [{ status }, { renderStatus }] = await Promise.all([
      import("../ops/status.ts"),
      import("./render/status.ts"),
    ]);
    const result = await status({
      cacheDir: stringOption(input, "cache-dir"),
      compilerVersion: stringOption(input, "compiler-version"),
      env: context.env,
      cwd: context.cwd,
      entries: flagOption(input, "entries"),
      signal: context.signal,
    });
    return { data: result, human: () => renderStatus(result) };
  },
};
