import type { Store } from "../store/store.ts";

export interface CreateStoreOptions {
  store: Store;
  /** Hugging Face buckets: create as private. */
  private?: boolean;
  signal?: AbortSignal;
}

export interface CreateStoreResult {
  url: string;
  kind: Store["kind"];
  /** false when it already existed (not an error: `create` is idempotent). */
  created: boolean;
}

/** Creates the bucket (or directory) a store names. */
export async function createStore(options: CreateStoreOptions): Promise<CreateStoreResult> {
  const { created } = await options.store.create({ private: options.private, signal: options.signal });
  return { url: options.store.url, kind: options.store.kind, created };
}
