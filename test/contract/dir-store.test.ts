import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { createDirStore } from "../../src/store/dir/dir-store.ts";
import { randomTestPrefix, runStoreContract } from "./store-contract.ts";

const base = mkdtempSync(path.join(tmpdir(), "neff-dir-contract-"));
afterAll(() => rm(base, { recursive: true, force: true }));

runStoreContract({
  name: "dir",
  create: async (prefix) => {
    const store = createDirStore({ root: path.join(base, prefix) });
    await store.create();
    return store;
  },
  createUncreated: async () => ({
    store: createDirStore({ root: path.join(base, randomTestPrefix(), "nested") }),
    cleanup: async () => {},
  }),
});
