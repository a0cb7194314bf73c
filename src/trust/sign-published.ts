/**
 * Signs the manifests a publishing run leaves in the store: those it wrote (their bytes are
 * known) and those already right that the signing key has not signed yet (read back, and signed
 * only when they describe exactly the local entry the producer built). Signatures go after the
 * manifests, so a kill in between leaves an unsigned entry — a miss for trusting consumers,
 * never a trusted half-entry — that the next run signs.
 */
import type { ManifestFile } from "../layout/entry-manifest.ts";
import { MAX_MANIFEST_BYTES, parseManifest } from "../layout/entry-manifest.ts";
import { forEachConcurrent } from "../local/for-each-concurrent.ts";
import { textSource } from "../store/store-ops.ts";
import type { Store } from "../store/store.ts";
import { readStoreText } from "../transfer/read-store-text.ts";
import type { ProducerSigningKey } from "./producer-key.ts";
import { buildSignature, signatureKey } from "./signature-file.ts";

/** Signatures written at once: small writes, bound by latency. */
const SIGN_CONCURRENCY = 16;

/** One manifest to sign. */
export interface ManifestToSign {
  module: string;
  /** The manifest's key. */
  key: string;
  /** Its bytes when this run wrote it; null to read it back from the store. */
  text: string | null;
  /** The local entry's files, which a manifest read back must describe exactly. */
  files: readonly ManifestFile[];
}

export interface SignPublishedOptions {
  store: Store;
  signingKey: ProducerSigningKey;
  manifests: readonly ManifestToSign[];
  now: Date;
  signal?: AbortSignal;
}

/** Writes the signatures; returns the keys signed and, by module, why one could not be. */
export async function signPublished(
  options: SignPublishedOptions,
): Promise<{ signed: string[]; failures: Map<string, string> }> {
  const { store, signingKey, signal } = options;
  const signed: string[] = [];
  const failures = new Map<string, string>();
  await forEachConcurrent(
    options.manifests,
    SIGN_CONCURRENCY,
    async (manifest) => {
      try {
        const text =
          manifest.text ??
          (await readStoreText(store, manifest.key, { signal, maxBytes: MAX_MANIFEST_BYTES }));
        if (text === null) throw new Error(`${manifest.key} vanished before it could be signed`);
        if (manifest.text === null) {
          const problem = describesOtherBytes(text, manifest.files);
          if (problem !== null) throw new Error(`not signed: the store's manifest ${problem}`);
        }
        const signature = buildSignature(manifest.key, text, signingKey, options.now);
        await store.write(signatureKey(manifest.key, signingKey.fingerprint), textSource(signature), {
          signal,
        });
        signed.push(manifest.key);
      } catch (error) {
        if (signal?.aborted) throw error;
        if (!failures.has(manifest.module)) {
          failures.set(manifest.module, error instanceof Error ? error.message : String(error));
        }
      }
    },
    signal,
  );
  return { signed: signed.sort(), failures };
}

// --- internal ---

function describesOtherBytes(text: string, files: readonly ManifestFile[]): string | null {
  const parsed = parseManifest(text);
  if (!parsed.ok) return `is unreadable (${parsed.reason})`;
  const listed = new Map(parsed.manifest.files.map((file) => [file.name, file]));
  if (listed.size !== files.length) return "lists other files than the local entry";
  for (const file of files) {
    const other = listed.get(file.name);
    if (!other || other.size !== file.size || other.sha256 !== file.sha256) {
      return `does not describe the local ${file.name}`;
    }
  }
  return null;
}
