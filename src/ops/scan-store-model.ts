/**
 * What a store holds for one model, read for explaining misses: every compiler version's
 * per-model area (all tasks), its export records, and for the entries of the run's own compiler
 * version and task the key factors (flags, graph bytes, export configuration) from their
 * manifests or `compile_flags.json`. Without a model, the compiler version's flat area.
 */
import type { EntryState } from "../layout/classify-entry.ts";
import { classifyEntry } from "../layout/classify-entry.ts";
import { compilerVersionDir, modelPrefix } from "../layout/cache-layout.ts";
import { ENTRY_MANIFEST_FILE, FLAGS_FILE, HLO_FILE } from "../layout/entry-files.ts";
import { parseManifest } from "../layout/entry-manifest.ts";
import type { StoreEntryFacts, StoreFacts } from "../layout/explain-miss.ts";
import { parseCompileFlags } from "../layout/key-factors.ts";
import { parseLayoutKey } from "../layout/parse-layout-key.ts";
import { forEachConcurrent } from "../local/for-each-concurrent.ts";
import type { Store } from "../store/store.ts";
import { readStoreText } from "../transfer/read-store-text.ts";
import { storeCompilerVersions } from "../transfer/store-compiler-versions.ts";
import { readExportRecords } from "./lookup.ts";

/** Manifests and flag files read per scan at most: enough for a large decoder (hundreds of graphs). */
const MAX_DETAIL_READS = 512;
/** Manifests and flag files are small; anything larger is not one. */
const MAX_DETAIL_BYTES = 1024 * 1024;

export interface ScanStoreModelOptions {
  store: Store;
  /** The model; null compares with the flat area of `compilerVersion` only. */
  modelId: string | null;
  /** The run's compiler version: its entries (of `task`) are read in detail. */
  compilerVersion: string;
  task: string | null;
  signal?: AbortSignal;
}

export interface StoreScan extends StoreFacts {
  /** Records that could not be read, with the reason. */
  malformedRecords: Array<{ key: string; reason: string }>;
}

export async function scanStoreModel(options: ScanStoreModelOptions): Promise<StoreScan> {
  const { store, modelId, signal } = options;
  const versions = modelId === null ? [options.compilerVersion] : await storeCompilerVersions(store, signal);
  const entries = new Map<string, { facts: StoreEntryFacts; files: Map<string, string> }>();
  const recordKeys: string[] = [];
  await forEachConcurrent(
    versions,
    4,
    async (version) => {
      const prefix = modelId === null ? compilerVersionDir(version) : modelPrefix(version, modelId);
      for await (const item of store.list(prefix, { recursive: true, signal })) {
        if (item.type !== "file") continue;
        const parsed = parseLayoutKey(item.key);
        if (!parsed.ok) continue;
        const key = parsed.key;
        if (key.area === "record") {
          if (modelId !== null && key.modelId === modelId) recordKeys.push(item.key);
          continue;
        }
        const task = key.area === "model" ? key.task : null;
        if (modelId === null ? key.area !== "flat" : key.area !== "model" || key.modelId !== modelId)
          continue;
        const id = `${key.compilerVersion}\n${task ?? ""}\n${key.module}`;
        let entry = entries.get(id);
        if (!entry) {
          entry = {
            facts: {
              compilerVersion: key.compilerVersion,
              task,
              module: key.module,
              state: "empty" as EntryState,
              compileFlags: null,
              graphSha256: null,
              exportConfigHash: null,
              problem: null,
            },
            files: new Map(),
          };
          entries.set(id, entry);
        }
        entry.files.set(key.file, item.key);
      }
    },
    signal,
  );
  for (const entry of entries.values()) entry.facts.state = classifyEntry(entry.files.keys());

  const detailed = [...entries.values()]
    .filter(
      ({ facts }) =>
        facts.compilerVersion === options.compilerVersion &&
        facts.task === (modelId === null ? null : options.task),
    )
    .slice(0, MAX_DETAIL_READS);
  await forEachConcurrent(detailed, 16, (entry) => readDetails(store, entry, signal), signal);

  const { records, malformed } = await readExportRecords(store, recordKeys, null, signal);
  return {
    entries: [...entries.values()]
      .map(({ facts }) => facts)
      .sort(
        (a, b) =>
          compare(a.compilerVersion, b.compilerVersion) ||
          compare(a.task ?? "", b.task ?? "") ||
          compare(a.module, b.module),
      ),
    records: records.map(({ compilerVersion, task, optimumNeuronVersion, hash, key, config }) => ({
      compilerVersion,
      task,
      optimumNeuronVersion,
      hash,
      key,
      config,
    })),
    malformedRecords: malformed,
  };
}

/** Fills an entry's key factors from its manifest, else from its flags file; a bad manifest is a problem. */
async function readDetails(
  store: Store,
  entry: { facts: StoreEntryFacts; files: ReadonlyMap<string, string> },
  signal: AbortSignal | undefined,
): Promise<void> {
  const { facts, files } = entry;
  const read = async (key: string): Promise<string | null> => {
    try {
      return await readStoreText(store, key, { signal, maxBytes: MAX_DETAIL_BYTES });
    } catch (error) {
      if (signal?.aborted) throw error;
      return null;
    }
  };
  const manifestKey = files.get(ENTRY_MANIFEST_FILE);
  if (manifestKey !== undefined) {
    const text = await read(manifestKey);
    const parsed = text === null ? null : parseManifest(text);
    if (parsed === null || !parsed.ok) {
      facts.problem = `its manifest is unreadable (${parsed && !parsed.ok ? parsed.reason : "cannot be read"})`;
    } else if (parsed.manifest.module !== facts.module) {
      facts.problem = `its manifest belongs to ${parsed.manifest.module}`;
    } else {
      const keyFactors = parsed.manifest.keyFactors ?? {};
      facts.compileFlags = keyFactors.compileFlags ?? null;
      facts.exportConfigHash = keyFactors.exportConfigHash ?? null;
      facts.graphSha256 = parsed.manifest.files.find((file) => file.name === HLO_FILE)?.sha256 ?? null;
      const missing = parsed.manifest.files.find((file) => !files.has(file.name));
      if (missing) facts.problem = `${missing.name} is in its manifest but not in the store`;
    }
  }
  const flagsKey = files.get(FLAGS_FILE);
  if (facts.compileFlags === null && flagsKey !== undefined) {
    const text = await read(flagsKey);
    facts.compileFlags = text === null ? null : parseCompileFlags(text);
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
