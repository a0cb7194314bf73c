import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";
import { createDirStore } from "../../src/store/dir/dir-store.ts";
import { randomTestPrefix, runStoreContract } from "./store-contract.ts";

const base = mkdtempSync(path.join(tmpdir(), "neff-dir-contract-"));
afterAll(() => rm(base, { recursive: true, force: true }));

// Both ways a listing can call the file system (see listingCallsFor): the temp dir is a local disk,
// which alone would test the synchronous one.
for (const listingCalls of ["sync", "concurrent"] as const) {
  runStoreContract({
    name: `dir (${listingCalls} listing calls)`,
    create: async (prefix) => {
      const store = createDirStore({ root: path.join(base, prefix), listingCalls });
      await store.create();
      return store;
    },
    createUncreated: async () => ({
      store: createDirStore({ root: path.join(base, randomTestPrefix(), "nested"), listingCalls }),
      cleanup: async () => {},
    }),
  });
}
