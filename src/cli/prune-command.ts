import { EXIT_CODES, UsageError } from "../errors.ts";
import type { PruneResult } from "../ops/prune.ts";
import { BUCKET_OPTION, openCliStore } from "./cache-target.ts";
import type { CommandSpec } from "./command-spec.ts";
import { partialResult } from "./partial-result.ts";
import { flagOption, integerOption, stringOption } from "./parse-command-line.ts";

/** `neff-cache prune --bucket B …`: remove entries, records and junk from a store. */
export const PRUNE_COMMAND: CommandSpec = {
  name: "prune",
  summary:
    "remove old, unwanted, failed or stray entries from a store, keeping its areas and records consistent",
  args: "",
  minPositionals: 0,
  maxPositionals: 0,
  options: {
    bucket: {
      ...BUCKET_OPTION,
      help: "the store to prune (required: a prune never falls back to a default store)",
    },
    "compiler-version": { type: "string", value: "V", help: "only this compiler version (alone: all of it)" },
    model: {
      type: "string",
      value: "M",
      help: "only this model's area and the flat copies no other model uses (alone: all of it)",
    },
    "older-than": {
      type: "string",
      value: "DURATION",
      help: "entries whose newest file is older than DURATION (e.g. 90d)",
    },
    "keep-compiler-versions": { type: "string", value: "N", help: "every compiler version but the N newest" },
    incomplete: {
      type: "boolean",
      help: "failed, locked or half-written entries, and records with nothing left to fetch",
    },
    junk: { type: "boolean", help: "keys under neuronxcc-* dirs that are not part of the layout" },
    "dry-run": { type: "boolean", help: "print the plan; delete nothing" },
    yes: { type: "boolean", help: "delete without asking (required when stdin is not a terminal)" },
  },
  async run(input, context) {
    if (stringOption(input, "bucket") === undefined) {
      throw new UsageError("neff-cache prune needs --bucket: it never prunes a default store.", {
        hint: "Usage: neff-cache prune --bucket B [selectors] (--dry-run | --yes)",
      });
    }
    const dryRun = flagOption(input, "dry-run");
    const yes = flagOption(input, "yes");
    if (dryRun && yes)
      throw new UsageError("--dry-run and --yes contradict each other.", { hint: "Pick one." });
    const keep = integerOption(input, "keep-compiler-versions");
    const compilerVersion = stringOption(input, "compiler-version");
    if (keep !== undefined && keep < 1) {
      throw new UsageError("--keep-compiler-versions takes 1 or more.", {
        hint: "To remove a whole compiler version, use --compiler-version V.",
      });
    }
    if (keep !== undefined && compilerVersion !== undefined) {
      throw new UsageError("--keep-compiler-versions and --compiler-version cannot be combined.", {
        hint: "--keep-compiler-versions already looks at every version.",
      });
    }
    const [{ prune }, { renderPrune }, { parseDuration }, { normalizeCompilerVersion }] = await Promise.all([
      import("../ops/prune.ts"),
      import("./render/prune.ts"),
      import("../layout/parse-duration.ts"),
      import("../layout/compiler-version.ts"),
    ]);
    const olderThan = stringOption(input, "older-than");
    const selectors = {
      compilerVersion: compilerVersion === undefined ? undefined : normalizeCompilerVersion(compilerVersion),
      modelId: stringOption(input, "model"),
      olderThanMs: olderThan === undefined ? undefined : parseDuration(olderThan),
      keepCompilerVersions: keep,
      incomplete: flagOption(input, "incomplete"),
      junk: flagOption(input, "junk"),
    };
    const anySelector =
      selectors.compilerVersion !== undefined ||
      selectors.modelId !== undefined ||
      selectors.olderThanMs !== undefined ||
      keep !== undefined ||
      selectors.incomplete ||
      selectors.junk;
    if (!anySelector) {
      throw new UsageError("neff-cache prune needs at least one selector: it never empties a whole store.", {
        hint: "For example --older-than 90d, --keep-compiler-versions 2, --model org/name, --incomplete or --junk.",
      });
    }
    if (!dryRun && !yes && context.confirm === undefined) {
      throw new UsageError(
        "Refusing to delete without --yes: stdin is not a terminal, so nobody can confirm.",
        {
          hint: "Look first with --dry-run, then run again with --yes.",
        },
      );
    }
    const store = await openCliStore(input, context);
    try {
      let apply = !dryRun;
      if (!dryRun && !yes && context.confirm) {
        const plan = await prune({ ...selectors, store, dryRun: true, signal: context.signal });
        context.stderr.write(`${renderPrune(plan)}\n`);
        apply =
          plan.plan.keys > 0 &&
          (await context.confirm(`Delete these ${plan.plan.keys} keys from ${store.url}? [y/N] `));
        if (!apply) return { data: plan, human: () => "Nothing deleted." };
      }
      const result = await prune({ ...selectors, store, dryRun: !apply, signal: context.signal }).catch(
        partialResult<PruneResult>,
      );
      return {
        data: result,
        exitCode: result.failed.length > 0 ? EXIT_CODES.partial : EXIT_CODES.ok,
        human: () => renderPrune(result),
      };
    } finally {
      await store.close();
    }
  },
};
