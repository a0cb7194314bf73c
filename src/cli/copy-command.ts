import { homedir } from "node:os";
import path from "node:path";
import { EXIT_CODES, UsageError } from "../errors.ts";
import type { StoreLocation } from "../layout/store-url.ts";
import type { CopyResult, SameStore } from "../ops/copy.ts";
import type { Store } from "../store/store.ts";
import { TASK_OPTION } from "./cache-target.ts";
import type { CommandSpec } from "./command-spec.ts";
import { partialResult } from "./partial-result.ts";
import { integerOption, stringOption } from "./parse-command-line.ts";

const STORE_HELP = "ns/name, hf://buckets/ns/name[/prefix], s3://bucket[/prefix], file:///dir";

/** `neff-cache copy --from STORE --to STORE [MODEL_ID]`: every complete entry and record, from one store to another. */
export const COPY_COMMAND: CommandSpec = {
  name: "copy",
  summary: "copy complete entries and export records from one store to another (resumable, idempotent)",
  args: "[MODEL_ID]",
  minPositionals: 0,
  maxPositionals: 1,
  options: {
    from: { type: "string", value: "STORE", help: `the store to copy from: ${STORE_HELP}` },
    to: { type: "string", value: "STORE", help: `the store to copy to (must exist: see neff-cache create)` },
    task: { ...TASK_OPTION, help: "with MODEL_ID: only this task (default: every task)" },
    "compiler-version": {
      type: "string",
      value: "V",
      help: "only this compiler version (default: every version)",
    },
    concurrency: { type: "string", value: "N", help: "objects copied at once (default 8)" },
  },
  async run(input, context) {
    const fromValue = stringOption(input, "from");
    const toValue = stringOption(input, "to");
    if (fromValue === undefined || toValue === undefined) {
      throw new UsageError("neff-cache copy needs --from and --to.", {
        hint: "Usage: neff-cache copy --from STORE --to STORE [MODEL_ID] [--task T] [--compiler-version V]",
      });
    }
    const [{ parseStoreUrl }, { openStore }, { copy }, { renderCopy }, { normalizeCompilerVersion }] =
      await Promise.all([
        import("../layout/store-url.ts"),
        import("../store/open-store.ts"),
        import("../ops/copy.ts"),
        import("./render/copy.ts"),
        import("../layout/compiler-version.ts"),
      ]);
    const locate = (value: string): StoreLocation => {
      const location = parseStoreUrl(value, context.env.HOME ?? homedir());
      return location.kind === "dir"
        ? { kind: "dir", path: path.resolve(context.cwd, location.path) }
        : location;
    };
    const fromLocation = locate(fromValue);
    const toLocation = locate(toValue);
    if (JSON.stringify(fromLocation) === JSON.stringify(toLocation)) {
      throw new UsageError("--from and --to name the same store.", {
        hint: "Copy to another bucket, prefix or folder.",
      });
    }
    const open = (location: StoreLocation): Promise<Store> =>
      openStore(location, {
        env: context.env,
        signal: context.signal,
        ...(context.storeStalled ? { onStalled: context.storeStalled } : {}),
      });
    const opened: Store[] = [];
    try {
      const from = await open(fromLocation);
      opened.push(from);
      const to = await open(toLocation);
      opened.push(to);
      if (!(await to.exists({ signal: context.signal }))) {
        const { NotFoundError } = await import("../errors.ts");
        throw new NotFoundError(`The destination ${to.url} does not exist.`, {
          hint: `Create it first: neff-cache create ${toValue}`,
        });
      }
      const shared = sharedRoot(fromLocation, toLocation);
      let sameStore: SameStore | undefined;
      if (shared !== null) {
        const root = await open(shared.root);
        opened.push(root);
        sameStore = { store: root, fromPrefix: shared.fromPrefix, toPrefix: shared.toPrefix };
        context.log.debug(`both ends are in ${root.url}: copying inside it`);
      }
      const version = stringOption(input, "compiler-version");
      const result = await copy({
        from,
        to,
        sameStore,
        modelId: input.positionals[0],
        task: stringOption(input, "task"),
        compilerVersion: version === undefined ? undefined : normalizeCompilerVersion(version),
        concurrency: integerOption(input, "concurrency"),
        signal: context.signal,
      }).catch(partialResult<CopyResult>);
      return {
        data: result,
        exitCode: result.failed.length > 0 ? EXIT_CODES.partial : EXIT_CODES.ok,
        human: () => renderCopy(result),
      };
    } finally {
      for (const store of opened) await store.close().catch(() => undefined);
    }
  },
};

// --- internal ---

/**
 * When both ends live in one S3 or Hugging Face bucket, that bucket (at its root) and the two
 * prefixes: objects are then copied inside it. Two buckets, even on one endpoint, are two stores.
 */
function sharedRoot(
  from: StoreLocation,
  to: StoreLocation,
): { root: StoreLocation; fromPrefix: string; toPrefix: string } | null {
  if (from.kind === "s3" && to.kind === "s3" && from.bucket === to.bucket) {
    return {
      root: { kind: "s3", bucket: from.bucket, prefix: "" },
      fromPrefix: from.prefix,
      toPrefix: to.prefix,
    };
  }
  if (from.kind === "hf" && to.kind === "hf" && from.namespace === to.namespace && from.name === to.name) {
    return {
      root: { kind: "hf", namespace: from.namespace, name: from.name, prefix: "" },
      fromPrefix: from.prefix,
      toPrefix: to.prefix,
    };
  }
  return null;
}
