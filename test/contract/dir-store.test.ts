import { mkdtempSync } from "node:fs";
import { mkdir, readdir, rm, utimes, writeFile } from "node:fs/promises";
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
    partialUploads: {
      leave: async (prefix, abandoned) => {
        const folder = path.join(base, prefix, "a");
        await mkdir(folder, { recursive: true });
        const temp = path.join(folder, `.neff-tmp-${abandoned ? "0123456789abcdef" : "fedcba9876543210"}`);
        await writeFile(temp, "partial");
        // Two hours untouched: past the one-hour rule.
        if (abandoned) await utimes(temp, new Date(Date.now() - 7_200_000), new Date(Date.now() - 7_200_000));
      },
      openSweeping: async (prefix) => createDirStore({ root: path.join(base, prefix), listingCalls }),
      count: async (prefix) =>
        (await readdir(path.join(base, prefix, "a")).catch(() => [])).filter((name) =>
          name.startsWith(".neff-tmp-"),
        ).length,
    },
    createUncreated: async () => ({
      store: createDirStore({ root: path.join(base, randomTestPrefix(), "nested"), listingCalls }),
      cleanup: async () => {},
    }),
  });
}
