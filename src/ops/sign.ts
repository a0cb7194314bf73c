/**
 * sign: promotes what a store already holds by signing it in place with a producer key — each
 * entry's manifest once every byte of the entry has been read back and found to match it, and
 * each export record. Scan (one listing per compiler version) → pure `planSign` → execute.
 * Signing twice writes nothing; a signature by this key that no longer verifies is replaced.
 */
import { createHash } from "node:crypto";
import { compilerVersionDir, modelPrefix, modelTaskPrefix } from "../layout/cache-layout.ts";
import { MAX_MANIFEST_BYTES, parseManifest } from "../layout/entry-manifest.ts";
import { parseExportRecord } from "../layout/export-record.ts";
import { validateModelId, validateTask } from "../layout/model-id.ts";
import { parseLayoutKey } from "../layout/parse-layout-key.ts";
import { forEachConcurrent } from "../local/for-each-concurrent.ts";
import type { Store, StoreObject } from "../store/store.ts";
import { textSource } from "../store/store-ops.ts";
import { readStoreText } from "../transfer/read-store-text.ts";
import { storeCompilerVersions } from "../transfer/store-compiler-versions.ts";
import { PartialFailureError } from "../errors.ts";
import type { SignSkip, SignTarget } from "../trust/plan-sign.ts";
import { planSign } from "../trust/plan-sign.ts";
import type { ProducerSigningKey } from "../trust/producer-key.ts";
import { fingerprintId } from "../trust/producer-key.ts";
import { judgeStoredFile } from "../trust/read-signatures.ts";
import { buildSignature, signatureKey } from "../trust/signature-file.ts";

/** Entries checked at once (each reads its files one after another). */
const SIGN_CONCURRENCY = 8;

export interface SignOptions {
  store: Store;
  signingKey: ProducerSigningKey;
  /** Only this model's areas and records (and the flat copies of its entries). */
  modelId?: string;
  task?: string;
  /** Only this compiler version; default every `neuronxcc-*` version in the store. */
  compilerVersion?: string;
  signal?: AbortSignal;
  now?: () => Date;
}

export interface SignResult {
  store: string;
  key: string;
  /** Keys of the manifests and records signed now. */
  signed: string[];
  /** Already carrying a valid signature by this key. */
  alreadySigned: string[];
  skipped: SignSkip[];
  /** Entries whose bytes do not match their manifest, records that do not parse: never signed. */
  refused: Array<{ key: string; reason: string }>;
  failed: Array<{ key: string; error: string }>;
}

export async function sign(options: SignOptions): Promise<SignResult> {
  const { store, signingKey, signal } = options;
  const modelId = options.modelId === undefined ? undefined : validateModelId(options.modelId);
  const task = options.task === undefined ? undefined : validateTask(options.task);
  const versions =
    options.compilerVersion !== undefined
      ? [options.compilerVersion]
      : await storeCompilerVersions(store, signal);

  const objects: StoreObject[] = [];
  for (const version of versions) {
    if (modelId === undefined) {
      objects.push(...(await listFiles(store, compilerVersionDir(version), signal)));
      continue;
    }
    const prefix =
      task === undefined
        ? modelPrefix(version, modelId)
        : modelTaskPrefix({ compilerVersion: version, modelId, task });
    const own = await listFiles(store, prefix, signal);
    objects.push(...own);
    // The flat copies of the model's entries are what `fetch --all` and mounted caches read.
    const modules = new Set<string>();
    for (const object of own) {
      const parsed = parseLayoutKey(object.key);
      if (parsed.ok && parsed.key.area === "model") modules.add(parsed.key.module);
    }
    for (const module of modules) {
      objects.push(...(await listFiles(store, `${compilerVersionDir(version)}/${module}`, signal)));
    }
  }

  const plan = planSign(objects, fingerprintId(signingKey.fingerprint));
  const result: SignResult = {
    store: store.url,
    key: signingKey.fingerprint,
    signed: [],
    alreadySigned: [],
    skipped: plan.skipped,
    refused: [],
    failed: [],
  };
  const now = options.now ?? (() => new Date());
  await forEachConcurrent(
    plan.targets,
    SIGN_CONCURRENCY,
    async (target) => {
      try {
        const outcome = await signTarget(store, target, signingKey, now, signal);
        if (outcome === "signed") result.signed.push(target.key);
        else if (outcome === "already") result.alreadySigned.push(target.key);
        else result.refused.push({ key: target.key, reason: outcome.refused });
      } catch (error) {
        if (signal?.aborted) throw error;
        result.failed.push({
          key: target.key,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    },
    signal,
  );
  for (const list of [result.signed, result.alreadySigned]) list.sort();
  result.refused.sort((a, b) => (a.key < b.key ? -1 : 1));
  result.failed.sort((a, b) => (a.key < b.key ? -1 : 1));
  if (result.failed.length > 0) {
    throw new PartialFailureError(`${result.failed.length} files could not be signed.`, result, {
      hint: "Run sign again; what is signed already is kept.",
    });
  }
  return result;
}

// --- internal ---

type TargetOutcome = "signed" | "already" | { refused: string };

async function signTarget(
  store: Store,
  target: SignTarget,
  signingKey: ProducerSigningKey,
  now: () => Date,
  signal: AbortSignal | undefined,
): Promise<TargetOutcome> {
  const text = await readStoreText(store, target.key, { signal, maxBytes: MAX_MANIFEST_BYTES });
  if (text === null) return { refused: "it vanished from the store" };
  if (target.hasOwnSignature) {
    const verdict = await judgeStoredFile({
      store,
      key: target.key,
      bytes: text,
      signatureKeyIds: [fingerprintId(signingKey.fingerprint)],
      policy: { trusted: new Map([[signingKey.fingerprint, signingKey.publicKey]]), revoked: new Set() },
      signal,
    });
    if (verdict.trusted) return "already";
  }
  if (target.subject === "record") {
    const parsed = parseExportRecord(text);
    if (!parsed.ok) return { refused: `the record is malformed (${parsed.reason})` };
  } else {
    const problem = await entryProblem(store, target, text, signal);
    if (problem !== null) return { refused: problem };
  }
  const signature = buildSignature(target.key, text, signingKey, now());
  await store.write(signatureKey(target.key, signingKey.fingerprint), textSource(signature), { signal });
  return "signed";
}

/** Why the entry's bytes cannot be vouched for, or null once every file matched its manifest. */
async function entryProblem(
  store: Store,
  target: Extract<SignTarget, { subject: "entry" }>,
  manifestText: string,
  signal: AbortSignal | undefined,
): Promise<string | null> {
  const parsed = parseManifest(manifestText);
  if (!parsed.ok) return `its manifest is unreadable (${parsed.reason})`;
  const manifest = parsed.manifest;
  if (manifest.module !== target.module) return `its manifest describes ${manifest.module}`;
  const versionDir = target.key.slice(0, target.key.indexOf("/"));
  if (versionDir !== compilerVersionDir(manifest.compilerVersion)) {
    return `its manifest is for compiler ${manifest.compilerVersion}`;
  }
  const listed = new Set(target.files.keys());
  for (const file of manifest.files) {
    const object = target.files.get(file.name);
    if (!object) return `${file.name} is in its manifest but not in the store`;
    if (object.size !== file.size)
      return `${file.name} has ${object.size} bytes, its manifest says ${file.size}`;
    listed.delete(file.name);
    const sha256 = await hashObject(store, object, signal);
    if (sha256 !== file.sha256) return `${file.name} differs from its manifest (sha256 ${sha256})`;
  }
  if (listed.size > 0) return `it holds files its manifest does not list: ${[...listed].sort().join(", ")}`;
  return null;
}

/** Hex sha256 of an object's body; a body shorter or longer than listed is a read error. */
async function hashObject(
  store: Store,
  object: StoreObject,
  signal: AbortSignal | undefined,
): Promise<string> {
  const body = await store.read(object.key, { signal });
  if (body === null) throw new Error(`${object.key} vanished from the store while it was checked`);
  const hash = createHash("sha256");
  let bytes = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    hash.update(chunk);
  }
  if (bytes !== object.size) throw new Error(`${object.key}: read ${bytes} of ${object.size} bytes`);
  return hash.digest("hex");
}

async function listFiles(
  store: Store,
  prefix: string,
  signal: AbortSignal | undefined,
): Promise<StoreObject[]> {
  const files: StoreObject[] = [];
  for await (const item of store.list(prefix, { recursive: true, signal })) {
    if (item.type === "file") {
      const { type: _type, ...object } = item;
      files.push(object);
    }
  }
  return files;
}
