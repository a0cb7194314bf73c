/**
 * lookup: the export records of a model, read from the store, filtered and sorted. Records are
 * advisory (the compiler's own keys decide reuse); a malformed record is reported and skipped.
 * Without a compiler version, every `neuronxcc-*` version in the store is searched, so lookup
 * works on machines with no Neuron compiler installed.
 */
import { exportRecordsPrefix, modelPrefix } from "../layout/cache-layout.ts";
import { MAX_EXPORT_RECORD_BYTES, parseExportRecord } from "../layout/export-record.ts";
import type { ExportRecordEntry, LookupFilter, RecordSummary } from "../layout/lookup-filter.ts";
import { filterExportRecords, summarizeRecord } from "../layout/lookup-filter.ts";
import { validateModelId, validateTask } from "../layout/model-id.ts";
import type { ConfigDifference } from "../layout/nearest-config.ts";
import { rankNearestConfigs } from "../layout/nearest-config.ts";
import { parseLayoutKey } from "../layout/parse-layout-key.ts";
import type { PyJsonObject } from "../layout/py-json.ts";
import { forEachConcurrent } from "../local/for-each-concurrent.ts";
import type { Store } from "../store/store.ts";
import { readStoreText } from "../transfer/read-store-text.ts";
import { storeCompilerVersions } from "../transfer/store-compiler-versions.ts";
import { parseSignatureName } from "../layout/signature-name.ts";
import { judgeStoredFile } from "../trust/read-signatures.ts";
import type { TrustPolicy, UntrustedReason } from "../trust/signature-file.ts";

/** Records are small JSON documents; anything larger is not one. */

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
  /** Rank the records by closeness to this export configuration instead (each with the fields that differ). */
  nearest?: PyJsonObject;
  /** Use only records signed by a key this trusts; the others are listed in `untrusted`. */
  trust?: TrustPolicy | null;
  signal?: AbortSignal;
}

export interface LookupRecord extends ExportRecordEntry {
  compilerVersion: string;
  task: string;
  hash: string;
  summary: RecordSummary;
  /** With `nearest`: how the record differs from the requested configuration. */
  differences?: ConfigDifference[];
}

export interface LookupResult {
  store: string;
  modelId: string;
  records: LookupRecord[];
  /** Records that could not be read or parsed, with the reason. */
  malformed: Array<{ key: string; reason: string }>;
  /** With a trust policy: records left out because no trusted key signed them, and why. */
  untrusted?: Array<{ key: string; reason: UntrustedReason; detail: string }>;
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

  const trust = options.trust ?? null;
  const { records, malformed, untrusted } = await readExportRecords(store, keys, trust, signal);
  return {
    store: store.url,
    modelId,
    records:
      options.nearest === undefined
        ? filterExportRecords(records, options.filter ?? {})
        : rankNearestConfigs(options.nearest, filterExportRecords(records, options.filter ?? {})),
    malformed,
    ...(trust !== null ? { untrusted } : {}),
  };
}

/**
 * Reads export records by key (their signatures listed among them): each parsed, floats kept,
 * or reported as malformed or, under a trust policy, untrusted, with the reason; records that
 * vanished are skipped. Sorted by key.
 */
export async function readExportRecords(
  store: Store,
  keys: readonly string[],
  trust: TrustPolicy | null,
  signal?: AbortSignal,
): Promise<{
  records: LookupRecord[];
  malformed: LookupResult["malformed"];
  untrusted: NonNullable<LookupResult["untrusted"]>;
}> {
  const records: LookupRecord[] = [];
  const malformed: LookupResult["malformed"] = [];
  const untrusted: NonNullable<LookupResult["untrusted"]> = [];
  // Signatures travel beside their records: key ids by record key.
  const signatures = new Map<string, string[]>();
  const recordKeys: string[] = [];
  for (const key of keys) {
    const parsedKey = parseLayoutKey(key);
    const signature = parsedKey.ok && parsedKey.key.area === "record" ? parseSignatureName(key) : null;
    if (
      signature &&
      parsedKey.ok &&
      parsedKey.key.area === "record" &&
      parsedKey.key.signatureKeyId !== undefined
    ) {
      signatures.set(signature.signed, [...(signatures.get(signature.signed) ?? []), signature.keyId]);
    } else recordKeys.push(key);
  }
  await forEachConcurrent(
    recordKeys,
    16,
    async (key) => {
      const parsedKey = parseLayoutKey(key);
      if (!parsedKey.ok || parsedKey.key.area !== "record") {
        malformed.push({ key, reason: parsedKey.ok ? "not an export record" : parsedKey.detail });
        return;
      }
      let text: string | null;
      try {
        text = await readStoreText(store, key, { signal, maxBytes: MAX_EXPORT_RECORD_BYTES });
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
      if (trust !== null) {
        const verdict = await judgeStoredFile({
          store,
          key,
          bytes: text,
          signatureKeyIds: signatures.get(key) ?? [],
          policy: trust,
          signal,
        });
        if (!verdict.trusted) {
          untrusted.push({ key, reason: verdict.reason, detail: verdict.detail });
          return;
        }
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
  untrusted.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  records.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { records, malformed, untrusted };
}

// --- internal ---

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
