/**
 * The store contract: what every backend (directory, S3-compatible, Hugging Face bucket)
 * promises. Keys are relative to the store's root (the URL's prefix is applied by the
 * backend), use "/" as separator, never start with "/" and never contain "." or ".."
 * segments (see `assertStoreKey`). Optional fast paths are declared in `capabilities`;
 * `store-ops.ts` falls back to the mandatory methods when a backend lacks them.
 */
import type { Readable } from "node:stream";

/** Stable backend ids, used in URLs, messages and `--json`. */
export type StoreKind = "dir" | "s3" | "hf";

/** Every long call takes a signal; aborting rejects with an AbortError and leaves no partial object. */
export interface CallOptions {
  signal?: AbortSignal;
}

/** One object as the store describes it, without reading its body. */
export interface StoreObject {
  /** Full key relative to the store root. */
  key: string;
  /** Size in bytes. */
  size: number;
  /** Hex MD5 of the body when the store reports one (an S3 ETag of a single-part upload). */
  md5?: string;
  /** Raw ETag without quotes, when the store has one. */
  etag?: string;
  /** Xet content hash (Hugging Face buckets). */
  xetHash?: string;
  /** Hex SHA-256 of the body, when the store reports one. */
  sha256?: string;
  lastModified?: Date;
}

/** A listing item: a file, or (non-recursive listings only) a sub-prefix. */
export type ListItem = ({ type: "file" } & StoreObject) | { type: "dir"; key: string };

export interface ListOptions extends CallOptions {
  /**
   * true: every object below the prefix, at any depth.
   * false: direct children only; deeper keys are reported once as `{ type: "dir" }`.
   * @default true
   */
  recursive?: boolean;
  /**
   * Keys (relative to the store root, below `prefix`) where the listing may start further
   * requests, in parallel, instead of following one chain of pages: where the caller expects
   * about a page of keys between two of them. The items are the same with or without; a backend
   * that cannot start a listing at a key (`capabilities.parallelListing` false) ignores them.
   */
  parallelFrom?: readonly string[];
  /**
   * Non-recursive listings only. true: a `dir` item may be a folder that holds no listable file
   * (one a writer has only begun, or left empty), which spares a backend with real folders a
   * look inside each; for a caller to whom an empty folder and an absent one are the same.
   * Otherwise every `dir` item holds at least one file, as on a store whose folders are prefixes.
   * @default false
   */
  emptyFoldersAllowed?: boolean;
}

export interface ReadOptions extends CallOptions {
  /** Read only these bytes. */
  range?: { offset: number; length: number };
}

/**
 * The bytes to write. `open()` is called once per attempt, so a retry re-sends the
 * same bytes from the start and no backend has to buffer a body in memory.
 */
export interface WriteSource {
  /** Exact number of bytes `open()` yields. */
  size: number;
  open(): Readable;
  /** Set when the bytes are a local file, so a backend may hard-link or map it. */
  filePath?: string;
  /** Hex SHA-256 of the bytes, when the caller already knows it. */
  sha256?: string;
  /** The bytes themselves, when the caller holds them (small files): saves opening a stream. */
  bytes?: Uint8Array;
}

export interface TransferProgress {
  /** Bytes moved since the previous event. */
  bytes: number;
}

export interface WriteOptions extends CallOptions {
  /**
   * Create only: when the key already exists, keep it and report `created: false`.
   * Atomic where `capabilities.conditionalCreate`; elsewhere a stat-then-write race is possible.
   * @default false
   */
  ifAbsent?: boolean;
  onProgress?: (progress: TransferProgress) => void;
}

export interface WriteResult {
  object: StoreObject;
  /** false when `ifAbsent` found the key already there and nothing was written. */
  created: boolean;
}

export interface WriteItem {
  key: string;
  source: WriteSource;
}

/**
 * One item's outcome in a batch write: its result, or the error that stopped that item alone.
 * A batch never fails as a whole for one item, so a caller can complete what landed.
 */
export type WriteOutcome = { ok: true; result: WriteResult } | { ok: false; error: Error };

export interface StoreCapabilities {
  /** `write({ ifAbsent: true })` is decided atomically by the store. */
  conditionalCreate: boolean;
  /** `copy` runs inside the store, without the bytes passing through this process. */
  serverSideCopy: boolean;
  /** `deleteMany` removes many keys per request. */
  batchDelete: boolean;
  /** `writeMany` registers many objects in one request after uploading their bytes. */
  batchWrite: boolean;
  /** Hashes that `list` and `stat` report for every object. */
  listedHashes: ReadonlyArray<"md5" | "etag" | "xet" | "sha256">;
  /** `list` follows `parallelFrom`: a listing of many pages costs about one page's round trip. */
  parallelListing: boolean;
}

export interface Store {
  readonly kind: StoreKind;
  /** The store's URL with any secret removed: safe for messages and `--json`. */
  readonly url: string;
  readonly capabilities: StoreCapabilities;

  /**
   * Yields every object whose key starts with `prefix + "/"` (or every object when `prefix`
   * is ""), following pagination to the end. A sibling such as "ab" for prefix "a" is never
   * returned. A prefix with no objects yields nothing; it is not an error.
   */
  list(prefix: string, options?: ListOptions): AsyncIterable<ListItem>;

  /** Returns null when the key does not exist; never throws for "not found". */
  stat(key: string, options?: CallOptions): Promise<StoreObject | null>;

  /** A stream of the body (or the range), or null when the key does not exist. */
  read(key: string, options?: ReadOptions): Promise<Readable | null>;

  /** Writes (overwrites unless `ifAbsent`). Resolves once `stat` and `list` see the object. */
  write(key: string, source: WriteSource, options?: WriteOptions): Promise<WriteResult>;

  /**
   * Fast path for many writes (see `capabilities.batchWrite`), with the obligations of `write`
   * for each item. Resolves with one outcome per item, in order: an item that fails (a refused
   * key, a bad source, a store error after retries) reports its own error and never fails the
   * others. Rejects only when `signal` aborts.
   */
  writeMany?(items: readonly WriteItem[], options?: WriteOptions): Promise<WriteOutcome[]>;

  /**
   * Fast path for a store on a file system this process can reach: puts the object's bytes in a
   * new file at `path` (which must not exist) without passing them through this process — a
   * reflink or an in-kernel copy where the file systems have one. False when the key does not
   * exist. The copy is not verified: the caller checks the new file before trusting it.
   */
  copyToFile?(key: string, path: string, options?: CallOptions): Promise<boolean>;

  /** Fast path for a copy inside the store. Returns null when `fromKey` does not exist. */
  copy?(fromKey: string, toKey: string, options?: CallOptions): Promise<StoreObject | null>;

  /** Idempotent: deleting a missing key succeeds. */
  delete(key: string, options?: CallOptions): Promise<void>;

  /** Fast path for many deletes (see `capabilities.batchDelete`). Idempotent. */
  deleteMany?(keys: readonly string[], options?: CallOptions): Promise<void>;

  /** Whether the bucket (or root directory) exists and is reachable with these credentials. */
  exists(options?: CallOptions): Promise<boolean>;

  /** Creates the bucket (or directory). `created: false` when it already existed. */
  create(options?: CreateOptions): Promise<{ created: boolean }>;

  /** Releases sockets and caches. The store is unusable afterwards. */
  close(): Promise<void>;
}

export interface CreateOptions extends CallOptions {
  /** Hugging Face buckets: create as private. Ignored where there is no such notion. */
  private?: boolean;
}
