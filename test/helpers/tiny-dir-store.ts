/**
 * A minimal directory-backed Store for tests of code written against the store contract. It keeps
 * only the obligations those tests rely on (listing shapes, null for missing keys, overwrite,
 * idempotent delete); the real directory backend has its own contract suite.
 */
import { createReadStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { buffer } from "node:stream/consumers";
import { assertStoreKey } from "../../src/layout/store-key.ts";
import type { ListItem, ListOptions, Store, StoreObject, WriteSource } from "../../src/store/store.ts";

export function createTinyDirStore(root: string): Store {
  const objectAt = async (key: string): Promise<StoreObject | null> => {
    try {
      const info = await stat(join(root, key));
      return info.isFile() ? { key, size: info.size, lastModified: info.mtime } : null;
    } catch {
      return null;
    }
  };

  async function* walk(prefix: string, recursive: boolean): AsyncGenerator<ListItem> {
    let names: string[];
    try {
      names = (await readdir(join(root, prefix))).sort();
    } catch {
      return;
    }
    for (const name of names) {
      const key = prefix === "" ? name : `${prefix}/${name}`;
      const info = await stat(join(root, key));
      if (info.isDirectory()) {
        if (recursive) yield* walk(key, true);
        else yield { type: "dir", key };
      } else {
        yield { type: "file", key, size: info.size };
      }
    }
  }

  return {
    kind: "dir",
    url: `file://${root}`,
    capabilities: {
      conditionalCreate: false,
      serverSideCopy: false,
      batchDelete: false,
      batchWrite: false,
      listedHashes: [],
    },
    list(prefix: string, options: ListOptions = {}): AsyncIterable<ListItem> {
      if (prefix !== "") assertStoreKey(prefix);
      return walk(prefix, options.recursive ?? true);
    },
    stat: (key) => objectAt(key),
    async read(key) {
      assertStoreKey(key);
      return (await objectAt(key)) === null ? null : createReadStream(join(root, key));
    },
    async write(key: string, source: WriteSource) {
      assertStoreKey(key);
      const path = join(root, key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(`${path}.tmp`, await buffer(source.open()));
      await rename(`${path}.tmp`, path);
      return { object: (await objectAt(key)) as StoreObject, created: true };
    },
    async delete(key) {
      assertStoreKey(key);
      await rm(join(root, key), { force: true });
    },
    exists: async () => (await stat(root).catch(() => null))?.isDirectory() ?? false,
    async create() {
      await mkdir(root, { recursive: true });
      return { created: true };
    },
    close: async () => undefined,
  };
}
