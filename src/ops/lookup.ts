/**
 * lookup: the export records of a model, read from the store, filtered and sorted. Records are
 * advisory (the compiler's own keys decide reuse); a malformed record is reported and skipped.
 * Without a compiler version, every `neuronxcc-*` version in the store is searched, so lookup
 * works on machines with no Neuron compiler installed.
 */
import { COMPILER_DIR_PREFIX, exportRecordsPrefix, modelPrefix } from "../layout/cache-layout.ts";
import { parseExportRecord } from "../layout/export-record.ts";
import type { ExportRecordEntry, LookupFilter, RecordSummary } from "../layout/lookup-filter.ts";
import { filterExportRecords, summarizeRecord } from "../layout/lookup-filter.ts";
import { validateModelId, validateTask } from "../layout/model-id.ts";
import { parseLayoutKey } from "../layout/parse-layout-key.ts";
import { forEachConcurrent } from "../local/for-each-concurrent.ts";
import type { Store } from "../store/store.ts";
import { readStoreText } from "../sync/read-store-text.ts";

/** Records are small JSON documents; anything larger is not one. */
const MAX_RECORD_BYTES = 1024 * 1024;

export interface LookupOptions {
  store: Store;
  modelId: string;
  /** Only this task; default every task of the model. */
  task?: string;
  /** Only this compiler version; default every version in the store. */
  compilerVersion?: string;
  /** Only records of this optimum-neuron version; default all. */
  optimumNeuronVersion?: string;
  filter?: LookupFilter;
  signal?: AbortSignal;
}

export interface LookupRecord extends ExportRecordEntry {
  compilerVersion: string;
  task: string;
  hash: string;
  summary: RecordSummary;
}

export interface LookupResult {
  store: string;
  modelId: string;
  records: LookupRecord[];
  /** Records that could not be read or parsed, with the reason. */
  malformed: Array<{ key: string; reason: string }>;
}

export async function lookup(options: LookupOptions): Promise<LookupResult> {
  const { store, signal } = options;
  const modelId = validateModelId(options.modelId);
  const task = options.task === undefined ? undefined : validateTask(options.task);
  const versions =
    options.compilerVersion !== undefined
      ? [options.compilerVersion]
      : await storeCompilerVersions(store, signal);

  const keys: string[] = [];
  for (const compilerVersion of versions) {
    const prefixes =
      task !== undefined
        ? [
            exportRecordsPrefix({
              compilerVersion,
              modelId,
              task,
              optimumNeuronVersion: options.optimumNeuronVersion,
            }),
          ]
        : await taskRecordPrefixes(store, compilerVersion, modelId, options.optimumNeuronVersion, signal);
    for (const prefix of prefixes) {
      for await (const item of store.list(prefix, { recursive: true, signal })) {
        if (item.type === "file") keys.push(item.key);
      }
    }
  }

  const { records, malformed } = await readExportRecords(store, keys, signal);
  return {
    store: store.url,
    modelId,
    records: filterExportRecords(records, options.filter ?? {}),
    malformed,
  };
}

/**
 * Reads export records by key: each parsed (floats kept), or reported as malformed with the
 * reason; keys that are not records, and records that vanished, are skipped.
 */
export async function readExportRecords(
  store: Store,
  keys: readonly string[],
  signal?: AbortSignal,
): Promise<Pick<LookupResult, "records" | "malformed">> {
  const records: LookupRecord[] = [];
  const malformed: LookupResult["malformed"] = [];
  await forEachConcurrent(
    keys,
    16,
    async (key) => {
      const parsedKey = parseLayoutKey(key);
      if (!parsedKey.ok || parsedKey.key.area !== "record") {
        malformed.push({ key, reason: parsedKey.ok ? "not an export record" : parsedKey.detail });
        return;
      }
      let text: string | null;
      try {
        text = await readStoreText(store, key, { signal, maxBytes: MAX_RECORD_BYTES });
      } catch (error) {
        if (signal?.aborted) throw error;
        malformed.push({ key, reason: error instanceof Error ? error.message : String(error) });
        return;
      }
      if (text === null) return;
      const parsed = parseExportRecord(text);
      if (!parsed.ok) {
        malformed.push({ key, reason: parsed.reason });
        return;
      }
      const { compilerVersion, task: recordTask, optimumNeuronVersion, hash } = parsedKey.key;
      records.push({
        key,
        compilerVersion,
        task: recordTask,
        optimumNeuronVersion,
        hash,
        config: parsed.config,
        summary: summarizeRecord(parsed.config),
      });
    },
    signal,
  );
  malformed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  records.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { records, malformed };
}

/** The compiler versions the store holds (`neuronxcc-*` dirs at its root), sorted. */
export async function storeCompilerVersions(store: Store, signal?: AbortSignal): Promise<string[]> {
  const versions: string[] = [];
  for await (const item of store.list("", { recursive: false, signal })) {
    const name = item.key.slice(item.key.lastIndexOf("/") + 1);
    if (item.type === "dir" && name.startsWith(COMPILER_DIR_PREFIX)) {
      versions.push(name.slice(COMPILER_DIR_PREFIX.length));
    }
  }
  return versions.sort();
}

async function taskRecordPrefixes(
  store: Store,
  compilerVersion: string,
  modelId: string,
  optimumNeuronVersion: string | undefined,
  signal?: AbortSignal,
): Promise<string[]> {
  const prefixes: string[] = [];
  for await (const item of store.list(modelPrefix(compilerVersion, modelId), { recursive: false, signal })) {
    if (item.type !== "dir") continue;
    const task = item.key.slice(item.key.lastIndexOf("/") + 1);
    try {
      prefixes.push(
        exportRecordsPrefix({ compilerVersion, modelId, task: validateTask(task), optimumNeuronVersion }),
      );
    } catch {
      // A folder that is not a valid task name is not ours to read.
    }
  }
  return prefixes;
}
