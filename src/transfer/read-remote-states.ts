/**
 * What one area of a store holds of the entries a sync would publish, as `planSync` needs it:
 * the listed files, the area's manifest (read and checked), and the sha256 of the files no
 * manifest vouches for, read back from the store.
 */
import { createHash } from "node:crypto";
import { ENTRY_MANIFEST_FILE } from "../layout/entry-files.ts";
import type { EntryManifest } from "../layout/entry-manifest.ts";
import { MAX_MANIFEST_BYTES, parseManifest } from "../layout/entry-manifest.ts";
import { forEachConcurrent } from "../local/for-each-concurrent.ts";
import type { Store } from "../store/store.ts";
import type { LocalEntryToPublish, RemoteEntryState } from "./plan-sync.ts";
import { filesToVerify } from "./plan-sync.ts";
import { listedCopiesDiffer, listedHashMatches } from "./listed-hash.ts";
import { readStoreText } from "./read-store-text.ts";
import type { RemoteEntry } from "./remote-entries.ts";

/** Manifests and read-backs in flight at once: small requests, bound by latency. */
const READ_CONCURRENCY = 16;

export interface ReadRemoteStatesOptions {
  store: Store;
  compilerVersion: string;
  /** The area's listing, grouped. */
  remote: readonly RemoteEntry[];
  /** The entries the sync would publish, by module. */
  local: ReadonlyMap<string, LocalEntryToPublish>;
  /**
   * The manifest text each local entry keeps (the one sync last published, or fetch installed),
   * by module: where the listing's content hash shows the area holds these very bytes, the
   * manifest is not read from the store.
   */
  keptManifests?: ReadonlyMap<string, string>;
  /** Read back every right-sized file, not only those no manifest vouches for. */
  verifyBytes?: boolean;
  /** Files to read back too, whatever the manifest says, by module (see `disputedFiles`). */
  disputed?: ReadonlyMap<string, ReadonlySet<string>>;
  signal?: AbortSignal;
}

/**
 * The states of the remote entries that match a local one. A manifest or a file that cannot be
 * read is not an error: the entry is judged by what could be read, and sent again where unsure.
 */
export async function readRemoteStates(
  options: ReadRemoteStatesOptions,
): Promise<Map<string, RemoteEntryState>> {
  const { store, signal } = options;
  const states = new Map<string, RemoteEntryState>();
  const wanted = options.remote.filter((entry) => options.local.has(entry.module));
  await forEachConcurrent(
    wanted,
    READ_CONCURRENCY,
    async (entry) => {
      const kept = options.keptManifests?.get(entry.module);
      const { manifest, problem } = await readManifest(store, entry, options.compilerVersion, kept, signal);
      states.set(entry.module, {
        files: entry.files,
        manifest,
        manifestProblem: problem,
        readSha256: new Map(),
      });
    },
    signal,
  );
  const reads = wanted.flatMap((entry) => {
    const state = states.get(entry.module) as RemoteEntryState;
    const local = options.local.get(entry.module) as LocalEntryToPublish;
    const also = options.verifyBytes === true ? true : (options.disputed?.get(entry.module) ?? false);
    return filesToVerify(local, state, also).map((name) => ({
      state,
      name,
      key: entry.files.get(name)?.key ?? "",
    }));
  });
  await forEachConcurrent(
    reads,
    READ_CONCURRENCY,
    async ({ state, name, key }) => {
      const sha256 = await sha256OfObject(store, key, signal);
      if (sha256 !== null) (state.readSha256 as Map<string, string>).set(name, sha256);
    },
    signal,
  );
  return states;
}

/**
 * The files whose listed copies in two areas hold different bytes by the listings' own content
 * hashes, by module: one copy changed in the store after it was published, and a valid manifest
 * would not show it. Costs nothing beyond the listings; both copies are then read back.
 */
export function disputedFiles(areas: readonly (readonly RemoteEntry[])[]): Map<string, Set<string>> {
  const disputed = new Map<string, Set<string>>();
  const [first, ...others] = areas;
  if (first === undefined) return disputed;
  const byModule = others.map((entries) => new Map(entries.map((entry) => [entry.module, entry])));
  for (const entry of first) {
    for (const other of byModule) {
      const copy = other.get(entry.module);
      if (copy === undefined) continue;
      for (const [name, object] of entry.files) {
        const theirs = copy.files.get(name);
        if (theirs === undefined || !listedCopiesDiffer(object, theirs)) continue;
        let names = disputed.get(entry.module);
        if (names === undefined) disputed.set(entry.module, (names = new Set()));
        names.add(name);
      }
    }
  }
  return disputed;
}

// --- internal ---

async function readManifest(
  store: Store,
  entry: RemoteEntry,
  compilerVersion: string,
  kept: string | undefined,
  signal: AbortSignal | undefined,
): Promise<{ manifest: EntryManifest | null; problem: string | null }> {
  const object = entry.files.get(ENTRY_MANIFEST_FILE);
  if (object === undefined) return { manifest: null, problem: null };
  let text: string | null;
  try {
    // A warm sync of 50 entries read 2 manifests a module (both areas) before deciding nothing was
    // to do; the listing's hash of the kept copy saves each of those requests where it can decide.
    const keptBytes = kept === undefined ? undefined : Buffer.from(kept, "utf8");
    text =
      keptBytes !== undefined && (await listedHashMatches(object, keptBytes, signal)) === true
        ? (kept as string)
        : await readStoreText(store, object.key, { signal, maxBytes: MAX_MANIFEST_BYTES });
  } catch (error) {
    if (signal?.aborted) throw error;
    return {
      manifest: null,
      problem: `cannot be read (${error instanceof Error ? error.message : String(error)})`,
    };
  }
  if (text === null) return { manifest: null, problem: null };
  const parsed = parseManifest(text);
  if (!parsed.ok) return { manifest: null, problem: `is not valid (${parsed.reason})` };
  if (parsed.manifest.module !== entry.module || parsed.manifest.compilerVersion !== compilerVersion) {
    return { manifest: null, problem: "describes another entry" };
  }
  return { manifest: parsed.manifest, problem: null };
}

/** sha256 of an object's bytes, streamed; null when it vanished or could not be read. */
async function sha256OfObject(
  store: Store,
  key: string,
  signal: AbortSignal | undefined,
): Promise<string | null> {
  try {
    const body = await store.read(key, { signal });
    if (body === null) return null;
    const hash = createHash("sha256");
    for await (const chunk of body as AsyncIterable<Buffer>) hash.update(chunk);
    return hash.digest("hex");
  } catch (error) {
    if (signal?.aborted) throw error;
    return null;
  }
}
