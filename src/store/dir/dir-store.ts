/**
 * A store kept in a local or shared directory (NFS, FSx, a FUSE mount such as hf-mount).
 * Objects are plain files under the root, so a store written here can serve directly as a
 * Neuron compile cache. Writes land in a temp file beside the target, are flushed to disk and
 * then renamed (or hard-linked, for a conditional create) into place: a reader never sees a
 * partial file, on any POSIX file system including NFS.
 */
import { randomBytes } from "node:crypto";
import {
  constants as fsConstants,
  createReadStream,
  createWriteStream,
  readdirSync,
  realpathSync,
  statSync,
  type Dirent,
  type Stats,
} from "node:fs";
import {
  access,
  copyFile,
  link,
  lstat,
  mkdir,
  readdir,
  realpath,
  rename,
  rmdir,
  stat,
  statfs,
  unlink,
} from "node:fs/promises";
import path from "node:path";
import { Transform, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { isAbortError, NotFoundError, StoreError, UsageError } from "../../errors.ts";
import { assertStoreKey, storeKeyProblem } from "../../layout/store-key.ts";
import { errorCode } from "../../local/error-code.ts";
import { dirFsError as fsError } from "./dir-fs-error.ts";
import { isAbandonedUpload } from "../abandoned-upload.ts";
import { listingCallsFor, type ListingCalls } from "./listing-calls.ts";
import type {
  CallOptions,
  CreateOptions,
  ListItem,
  ListOptions,
  ReadOptions,
  Store,
  StoreCapabilities,
  StoreObject,
  WriteOptions,
  WriteResult,
  WriteSource,
} from "../store.ts";

export interface DirStoreOptions {
  /** The directory that holds the objects; relative paths resolve against the working directory. */
  root: string;
  /**
   * How listings call the file system; by default chosen from the file system's type (see
   * listingCallsFor). Set to run one way whatever the disk, as the tests do for each.
   */
  listingCalls?: ListingCalls;
}

/** Names of in-flight writes; never listed, and no key may use one as a path segment. */
const TEMP_NAME = /^\.neff-tmp-[0-9a-f]{16}$/;

/** Hard links are refused by some FUSE and SMB mounts; those errors mean "use a plain copy/rename". */
const NO_HARD_LINKS = new Set(["EPERM", "ENOTSUP", "EOPNOTSUPP", "ENOSYS", "EXDEV", "EMLINK", "EACCES"]);

/** Read sizes of `read`'s streams: the file's size, within these bounds. */
const MIN_READ_BYTES = 16 * 1024;
const MAX_READ_BYTES = 1024 * 1024;

/** A delete may prune a directory between a writer's mkdir and its rename: retry that many times. */
const MAX_PLACE_ATTEMPTS = 5;

const CAPABILITIES: StoreCapabilities = {
  conditionalCreate: true,
  serverSideCopy: true,
  batchDelete: false,
  batchWrite: false,
  listedHashes: [],
  // No round trips to save: a listing reads folders ahead on libuv's threads already.
  parallelListing: false,
};

/** Opens a directory store. Nothing touches the disk until the first call. */
export function createDirStore(options: DirStoreOptions): Store {
  const root = path.resolve(options.root);
  const url = `file://${root}`;
  // The real root, memoised once it is known to exist; keys are checked against it.
  let realRootPromise: Promise<string> | undefined;

  // How listings call the file system, memoised like the root (one statfs per store).
  let listingCallsPromise: Promise<ListingCalls> | undefined;
  const listingCalls = (): Promise<ListingCalls> => {
    if (options.listingCalls !== undefined) return Promise.resolve(options.listingCalls);
    listingCallsPromise ??= statfs(root).then(
      (info) => listingCallsFor(info.type),
      () => listingCallsFor(null),
    );
    return listingCallsPromise;
  };

  const realRoot = (): Promise<string> => {
    realRootPromise ??= resolveRoot(root).catch((error: unknown) => {
      realRootPromise = undefined;
      throw error;
    });
    return realRootPromise;
  };

  const keyPath = (key: string): string => path.join(root, ...key.split("/"));

  const checkKey = (key: string): void => {
    assertStoreKey(key);
    if (key.split("/").some((segment) => TEMP_NAME.test(segment))) {
      throw new UsageError(
        `Invalid store key ${JSON.stringify(key)}: it uses a name reserved for temp files.`,
      );
    }
  };

  /**
   * The real path of an existing key, or null when it does not exist. Throws when a symlink
   * leads out of the root, so no read can reach a file outside the store.
   */
  const resolveInside = async (key: string): Promise<string | null> => {
    const base = await realRoot();
    let real: string;
    try {
      real = await realpath(keyPath(key));
    } catch (error) {
      if (isMissing(error)) return null;
      throw fsError(error, `resolve ${key}`, root);
    }
    if (!isInside(base, real)) {
      throw new StoreError(`${key} is a symbolic link that leads outside ${root}; it is refused.`, {
        store: "dir",
        retryable: false,
        hint: "Remove the link or replace it with the file itself.",
      });
    }
    return real;
  };

  const statKey = async (key: string): Promise<StoreObject | null> => {
    const real = await resolveInside(key);
    if (real === null) return null;
    let info: Stats;
    try {
      info = await stat(real);
    } catch (error) {
      if (isMissing(error)) return null;
      throw fsError(error, `stat ${key}`, root);
    }
    return info.isFile() ? toObject(key, info) : null;
  };

  /** The parent directory of a key, created as needed, checked to lie inside the root. */
  const prepareParent = async (key: string): Promise<string> => {
    const base = await realRoot();
    const parent = path.dirname(keyPath(key));
    try {
      await mkdir(parent, { recursive: true });
    } catch (error) {
      throw fsError(error, `create the folder of ${key}`, root);
    }
    const realParent = await realpath(parent);
    if (!isInside(base, realParent)) {
      throw new StoreError(
        `The folder of ${key} is a symbolic link that leads outside ${root}; it is refused.`,
        {
          store: "dir",
          retryable: false,
          hint: "Remove the link or replace it with a real folder.",
        },
      );
    }
    if (!sweptParents.has(parent)) {
      sweptParents.add(parent);
      await removeAbandonedTemps(parent);
    }
    return parent;
  };
  /** Folders whose abandoned temp files this store already removed: one readdir each per store. */
  const sweptParents = new Set<string>();

  /** Moves a finished temp file to `key`; false when `exclusive` and the key already exists. */
  const place = async (tempPath: string, key: string, exclusive: boolean): Promise<boolean> => {
    const target = keyPath(key);
    for (let attempt = 1; ; attempt++) {
      try {
        if (exclusive) {
          // link() fails with EEXIST atomically, on NFS too (unlike O_EXCL on old NFS clients).
          try {
            await link(tempPath, target);
          } catch (error) {
            if (!NO_HARD_LINKS.has(errorCode(error) ?? "")) throw error;
            // No hard links on this mount: check-then-rename, which two racing writers can both pass.
            if ((await lstat(target).catch(() => null)) !== null) return false;
            await rename(tempPath, target);
            return true;
          }
          await unlink(tempPath).catch(() => undefined);
          return true;
        }
        await rename(tempPath, target);
        return true;
      } catch (error) {
        if (errorCode(error) === "EEXIST") return false;
        if (isMissing(error) && attempt < MAX_PLACE_ATTEMPTS) {
          // A concurrent delete pruned the now-empty folder: recreate it and try again.
          await prepareParent(key);
          continue;
        }
        throw fsError(error, `store ${key}`, root);
      }
    }
  };

  /** Removes empty folders from `key`'s parent up to (not including) the root. */
  const pruneEmptyParents = async (key: string): Promise<void> => {
    const parts = key.split("/").slice(0, -1);
    while (parts.length > 0) {
      try {
        await rmdir(path.join(root, ...parts));
      } catch {
        return; // not empty, already gone, or not ours to remove
      }
      parts.pop();
    }
  };

  const store: Store = {
    kind: "dir",
    url,
    capabilities: CAPABILITIES,

    async *list(prefix: string, listOptions: ListOptions = {}): AsyncIterable<ListItem> {
      if (prefix !== "") checkKey(prefix);
      const base = await realRoot();
      const start = prefix === "" ? root : keyPath(prefix);
      const recursive = listOptions.recursive ?? true;
      const calls = await listingCalls();
      yield* walk(start, prefix, recursive, {
        base,
        visited: new Set(),
        calls,
        signal: listOptions.signal,
        emptyFolders: listOptions.emptyFoldersAllowed === true,
      });
    },

    async stat(key: string, callOptions: CallOptions = {}): Promise<StoreObject | null> {
      checkKey(key);
      callOptions.signal?.throwIfAborted();
      return statKey(key);
    },

    async read(key: string, readOptions: ReadOptions = {}): Promise<Readable | null> {
      checkKey(key);
      readOptions.signal?.throwIfAborted();
      const real = await resolveInside(key);
      if (real === null) return null;
      const info = await stat(real).catch((error: unknown) => {
        if (isMissing(error)) return null;
        throw fsError(error, `stat ${key}`, root);
      });
      if (info === null || !info.isFile()) return null;
      const range = readOptions.range;
      const stream = createReadStream(real, {
        signal: readOptions.signal,
        // A read stream allocates a buffer of this size for every read, however small the file:
        // 1 MiB for each of the 1,000 manifests of the many-small set was most of a directory
        // fetch's garbage. One byte over the size lets the first read take the whole file.
        highWaterMark: Math.min(Math.max(info.size + 1, MIN_READ_BYTES), MAX_READ_BYTES),
        ...(range ? { start: range.offset, end: range.offset + range.length - 1 } : {}),
      });
      // Open eagerly so a file deleted in the meantime reads as null, not as a stream error.
      const opened = await new Promise<boolean>((resolve, reject) => {
        stream.once("open", () => resolve(true));
        stream.once("error", (error) => (isMissing(error) ? resolve(false) : reject(error)));
      });
      return opened ? stream : null;
    },

    async copyToFile(key: string, destination: string, callOptions: CallOptions = {}): Promise<boolean> {
      checkKey(key);
      callOptions.signal?.throwIfAborted();
      const real = await resolveInside(key);
      if (real === null) return false;
      try {
        // One call instead of a read stream and a write per MiB: libuv clones the file where the
        // file system can (FICLONE) and copies in the kernel (copy_file_range) elsewhere, as
        // `cp` does. Figures in downloadFile, which verifies the copy.
        await copyFile(real, destination, fsConstants.COPYFILE_EXCL | fsConstants.COPYFILE_FICLONE);
        return true;
      } catch (error) {
        // The error does not say which side failed: a source that is gone (or a folder) is "not
        // found"; anything else (a full or read-only cache disk) is the destination's, as it came.
        const code = errorCode(error);
        if (code === "ENOENT" || code === "EISDIR") {
          const info = await stat(real).catch(() => null);
          if (info === null || !info.isFile()) return false;
        }
        if (code === "EACCES" || code === "EPERM") {
          const readable = await access(real, fsConstants.R_OK).then(
            () => true,
            () => false,
          );
          if (!readable) throw fsError(error, `read ${key}`, root);
        }
        throw error;
      }
    },

    async write(key: string, source: WriteSource, writeOptions: WriteOptions = {}): Promise<WriteResult> {
      checkKey(key);
      const { signal, ifAbsent = false, onProgress } = writeOptions;
      signal?.throwIfAborted();
      if (ifAbsent) {
        const existing = await statKey(key);
        if (existing !== null) return { object: existing, created: false };
      }
      const parent = await prepareParent(key);
      const tempPath = path.join(parent, `.neff-tmp-${randomBytes(8).toString("hex")}`);
      try {
        let written = 0;
        const counter = new Transform({
          transform(chunk: Buffer, _encoding, callback) {
            written += chunk.length;
            onProgress?.({ bytes: chunk.length });
            callback(null, chunk);
          },
        });
        // flush: fsync before close, so the rename never publishes a file whose bytes are not on disk.
        const out = createWriteStream(tempPath, { flags: "wx", flush: true });
        await pipeline(source.open(), counter, out, { signal });
        if (written !== source.size) {
          throw new StoreError(
            `Writing ${key} produced ${written} bytes where ${source.size} were announced.`,
            {
              store: "dir",
              retryable: false,
            },
          );
        }
        const created = await place(tempPath, key, ifAbsent);
        const object = await statKey(key);
        if (object === null) {
          throw new StoreError(`${key} vanished right after it was written.`, {
            store: "dir",
            retryable: true,
          });
        }
        return { object, created };
      } catch (error) {
        if (signal?.aborted && !isAbortError(error)) throw signal.reason;
        throw error instanceof StoreError || isAbortError(error)
          ? error
          : fsError(error, `write ${key}`, root);
      } finally {
        await unlink(tempPath).catch(() => undefined);
      }
    },

    async copy(fromKey: string, toKey: string, callOptions: CallOptions = {}): Promise<StoreObject | null> {
      checkKey(fromKey);
      checkKey(toKey);
      callOptions.signal?.throwIfAborted();
      const real = await resolveInside(fromKey);
      if (real === null) return null;
      const info = await stat(real).catch(() => null);
      if (info === null || !info.isFile()) return null;
      const parent = await prepareParent(toKey);
      const tempPath = path.join(parent, `.neff-tmp-${randomBytes(8).toString("hex")}`);
      try {
        // Every write replaces files by rename, never in place, so a hard link is a safe copy.
        try {
          await link(real, tempPath);
        } catch (error) {
          if (isMissing(error)) return null;
          if (!NO_HARD_LINKS.has(errorCode(error) ?? "")) throw error;
          await copyFile(real, tempPath);
        }
        await place(tempPath, toKey, false);
        return await statKey(toKey);
      } catch (error) {
        throw error instanceof StoreError ? error : fsError(error, `copy ${fromKey} to ${toKey}`, root);
      } finally {
        await unlink(tempPath).catch(() => undefined);
      }
    },

    async delete(key: string, callOptions: CallOptions = {}): Promise<void> {
      checkKey(key);
      callOptions.signal?.throwIfAborted();
      await realRoot();
      const target = keyPath(key);
      // The link itself goes, whatever it points to: deleting never reaches outside the root.
      const info = await lstat(target).catch(() => null);
      if (info === null || info.isDirectory()) return;
      try {
        await unlink(target);
      } catch (error) {
        if (!isMissing(error)) throw fsError(error, `delete ${key}`, root);
      }
      await pruneEmptyParents(key);
    },

    async exists(callOptions: CallOptions = {}): Promise<boolean> {
      callOptions.signal?.throwIfAborted();
      try {
        await realRoot();
        return true;
      } catch (error) {
        if (error instanceof NotFoundError) return false;
        throw error;
      }
    },

    async create(createOptions: CreateOptions = {}): Promise<{ created: boolean }> {
      createOptions.signal?.throwIfAborted();
      let first: string | undefined;
      try {
        first = await mkdir(root, { recursive: true });
      } catch (error) {
        throw fsError(error, "create the store folder", root);
      }
      await realRoot();
      return { created: first !== undefined };
    },

    async close(): Promise<void> {},
  };
  return store;
}

// --- internal ---

async function resolveRoot(root: string): Promise<string> {
  let info: Stats;
  try {
    info = await stat(root);
  } catch (error) {
    if (isMissing(error)) {
      throw new NotFoundError(`The store folder ${root} does not exist.`, {
        hint: `Create it with \`neff-cache create file://${root}\`, or check the path.`,
        code: "E_STORE_MISSING",
      });
    }
    throw fsError(error, "open the store folder", root);
  }
  if (!info.isDirectory()) {
    throw new UsageError(`The store path ${root} is a file, not a folder.`, {
      hint: "Point the store at a folder (file:///path/to/folder).",
    });
  }
  try {
    await readdir(root);
  } catch (error) {
    throw fsError(error, "read the store folder", root);
  }
  return realpath(root);
}

/**
 * Folders whose listing is read ahead of the one being yielded (concurrent calls only). The
 * many-small set (1,000 entry folders of 4 files) waited on each folder's readdir and stats in
 * turn; reading 8 ahead keeps libuv's 4 file-system threads busy: listing CPU 133 ms vs 175 ms
 * one folder at a time (15 runs alternated, load 16).
 */
const FOLDER_READ_AHEAD = 8;

/** A folder to list: where it is, its real path (for the cycle and inside-the-root checks), its key. */
interface Folder {
  full: string;
  real: string;
  key: string;
}

/** What every folder of one listing shares. */
interface Walk {
  /** The store's real root: nothing outside it is listed. */
  base: string;
  /** Real paths of the folders listed so far (a second visit is a cycle through links). */
  visited: Set<string>;
  calls: ListingCalls;
  signal: AbortSignal | undefined;
  /** A folder-only listing may report folders without looking for a file in them (see ListOptions). */
  emptyFolders: boolean;
}

async function* walk(
  dir: string,
  keyPrefix: string,
  recursive: boolean,
  context: Walk,
): AsyncGenerator<ListItem> {
  context.signal?.throwIfAborted();
  // Only the starting folder needs realpath: below it, a folder's real path is its parent's plus
  // its name unless it is a link, whose target resolveEntry already resolved.
  const real = await realpath(dir).catch(() => null);
  if (real === null) return;
  const entries = await readFolder({ full: dir, real, key: keyPrefix }, context);
  if (entries !== null) yield* walkEntries(entries, recursive, context);
}

async function* walkEntries(
  entries: readonly ResolvedEntry[],
  recursive: boolean,
  context: Walk,
): AsyncGenerator<ListItem> {
  const folders = recursive ? entries.filter((item) => item?.type === "dir") : [];
  const reads: Promise<ResolvedEntry[] | null>[] = [];
  const readAhead = (upTo: number): void => {
    for (let i = reads.length; i < Math.min(upTo, folders.length); i++) {
      const read = readFolder((folders[i] as { folder: Folder }).folder, context);
      // Awaited in turn below; a listing abandoned early must not leave an unhandled rejection.
      read.catch(() => undefined);
      reads.push(read);
    }
  };
  const ahead = context.calls === "sync" ? 0 : FOLDER_READ_AHEAD;
  let nextFolder = 0;
  for (const item of entries) {
    if (item === null) continue;
    if (item.type === "file") {
      yield item.file;
    } else if (recursive) {
      context.signal?.throwIfAborted();
      readAhead(nextFolder + 1 + ahead);
      const inner = await (reads[nextFolder] as Promise<ResolvedEntry[] | null>);
      nextFolder++;
      if (inner !== null) yield* walkEntries(inner, true, context);
    } else if (
      // Looking for a file in each of 1,000 entry folders was 14-20 ms of a warm exec (V8 profile).
      context.emptyFolders ||
      (await hasAnyFile(item.folder, { ...context, visited: new Set(context.visited) }))
    ) {
      yield { type: "dir", key: item.folder.key };
    }
  }
}

/**
 * One folder's entries in name order, each resolved (files with their size); null for a folder
 * already listed (a cycle through links), outside the root, or gone.
 */
async function readFolder(folder: Folder, context: Walk): Promise<ResolvedEntry[] | null> {
  const entries = await readFolderNames(folder, context);
  if (entries === null) return null;
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // One folder's entries are resolved all at once: awaited one by one, the stat calls of a
  // many-small tree were the bulk of a warm `exec` on a directory store.
  if (context.calls === "sync") return entries.map((entry) => resolveEntrySync(folder, entry, context));
  return Promise.all(entries.map((entry) => resolveEntry(folder, entry, context)));
}

/** One folder's directory entries, unresolved; null as for readFolder. */
async function readFolderNames(folder: Folder, context: Walk): Promise<Dirent[] | null> {
  // A folder reached twice through links is a cycle; one outside the root is not ours to list.
  if (!isInside(context.base, folder.real) || context.visited.has(folder.real)) return null;
  context.visited.add(folder.real);
  try {
    return context.calls === "sync"
      ? readdirSync(folder.full, { withFileTypes: true })
      : await readdir(folder.full, { withFileTypes: true });
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw fsError(error, `list ${folder.key || "the store"}`, folder.full);
  }
}

type ResolvedEntry = { type: "file"; file: ListItem } | { type: "dir"; folder: Folder } | null;

/** Where a directory entry is and what key it has; null for names no listing shows. */
function entryPlace(parent: Folder, entry: Dirent): Folder | null {
  if (TEMP_NAME.test(entry.name)) return null;
  // A name no key can address (backslash, control characters) cannot be read back: skip it. The
  // parent's key is safe already, so the name alone decides (checking whole keys again at every
  // level was a seventh of a folder-only listing of 1,000 entry folders, V8 profile).
  if (storeKeyProblem(entry.name) !== null) return null;
  const key = parent.key === "" ? entry.name : `${parent.key}/${entry.name}`;
  // A readdir name holds no separator and the parent paths are already normal: path.join's
  // normalisation was a tenth of the many-small listing's CPU.
  return {
    full: `${parent.full}${path.sep}${entry.name}`,
    real: `${parent.real}${path.sep}${entry.name}`,
    key,
  };
}

/** What a directory entry of `place` is for a listing, given the stat of a file or a link's target. */
function resolvedFrom(place: Folder, info: Stats | null | undefined): ResolvedEntry {
  if (info?.isFile()) return { type: "file", file: { type: "file", ...toObject(place.key, info) } };
  return info?.isDirectory() ? { type: "dir", folder: place } : null;
}

/** What one directory entry is for a listing: a file with its size, a folder to descend, or nothing. */
async function resolveEntry(parent: Folder, entry: Dirent, context: Walk): Promise<ResolvedEntry> {
  const place = entryPlace(parent, entry);
  if (place === null) return null;
  if (entry.isSymbolicLink()) {
    const target = await realpath(place.full).catch(() => null);
    if (target === null || !isInside(context.base, target)) return null;
    return resolvedFrom({ ...place, real: target }, await stat(target).catch(() => null));
  }
  if (entry.isDirectory()) return { type: "dir", folder: place };
  return entry.isFile() ? resolvedFrom(place, await stat(place.full).catch(() => null)) : null;
}

/** resolveEntry with synchronous calls (see listingCallsFor), without a promise per entry. */
function resolveEntrySync(parent: Folder, entry: Dirent, context: Walk): ResolvedEntry {
  const place = entryPlace(parent, entry);
  if (place === null) return null;
  if (entry.isSymbolicLink()) {
    let target: string;
    try {
      target = realpathSync(place.full);
    } catch {
      return null;
    }
    if (!isInside(context.base, target)) return null;
    return resolvedFrom({ ...place, real: target }, statOrNull(target));
  }
  if (entry.isDirectory()) return { type: "dir", folder: place };
  return entry.isFile() ? resolvedFrom(place, statOrNull(place.full)) : null;
}

/** A file that cannot be stat-ed (gone, no permission) is not listed, as in the promise-based walk. */
function statOrNull(file: string): Stats | null {
  try {
    return statSync(file, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

/**
 * Whether a folder holds at least one listable file at any depth (empty folders are not "dirs").
 * Stops at the first file that a recursive listing would show, resolving entries one at a time:
 * resolving every entry of every folder (as a listing does) stat-ed all 5,000 files of the
 * many-small set to answer a folder-only listing of its 1,000 entry folders.
 */
async function hasAnyFile(folder: Folder, context: Walk): Promise<boolean> {
  const entries = await readFolderNames(folder, context);
  if (entries === null) return false;
  const inner: Folder[] = [];
  for (const entry of entries) {
    // A plain file is listed by name alone; its stat (the size a listing reports) was a fifth
    // of a folder-only listing of 1,000 entry folders (V8 profile).
    if (entry.isFile() && entryPlace(folder, entry) !== null) return true;
    const resolved =
      context.calls === "sync"
        ? resolveEntrySync(folder, entry, context)
        : await resolveEntry(folder, entry, context);
    if (resolved?.type === "file") return true;
    if (resolved?.type === "dir") inner.push(resolved.folder);
  }
  for (const next of inner) {
    if (await hasAnyFile(next, context)) return true;
  }
  return false;
}

function toObject(key: string, info: Stats): StoreObject {
  return { key, size: info.size, lastModified: info.mtime };
}

function isInside(base: string, candidate: string): boolean {
  return candidate === base || candidate.startsWith(base.endsWith(path.sep) ? base : base + path.sep);
}

function isMissing(error: unknown): boolean {
  const code = errorCode(error);
  return code === "ENOENT" || code === "ENOTDIR";
}

/** Removes the temp files that killed writers left in `dir` (see `isAbandonedUpload`). */
async function removeAbandonedTemps(dir: string): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const now = Date.now();
  for (const name of names) {
    if (!TEMP_NAME.test(name)) continue;
    const file = path.join(dir, name);
    const info = await lstat(file).catch(() => null);
    if (info !== null && info.isFile() && isAbandonedUpload(info.mtimeMs, now)) {
      await unlink(file).catch(() => undefined);
    }
  }
}
