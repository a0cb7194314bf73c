import type { ListItem, Store } from "../store/store.ts";

export interface ListStoreOptions {
  store: Store;
  /** Key prefix ("" for the whole store). */
  prefix?: string;
  /** @default false: direct children, with sub-folders as dirs */
  recursive?: boolean;
  signal?: AbortSignal;
}

export interface ListStoreResult {
  url: string;
  prefix: string;
  items: ListItem[];
  files: number;
  dirs: number;
  totalBytes: number;
}

/** Lists a store prefix, following pagination to the end. */
export async function listStore(options: ListStoreOptions): Promise<ListStoreResult> {
  const prefix = (options.prefix ?? "").replace(/^\/+|\/+$/g, "");
  const result: ListStoreResult = {
    url: options.store.url,
    prefix,
    items: [],
    files: 0,
    dirs: 0,
    totalBytes: 0,
  };
  for await (const item of options.store.list(prefix, {
    recursive: options.recursive ?? false,
    signal: options.signal,
  })) {
    result.items.push(item);
    if (item.type === "file") {
      result.files += 1;
      result.totalBytes += item.size;
    } else result.dirs += 1;
  }
  result.items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return result;
}
