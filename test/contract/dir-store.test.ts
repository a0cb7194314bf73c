import { mkdtempSync } from "node:fs";
import { mkdir, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
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

describe("dir store: folder-only listings that allow empty folders", () => {
  it("reports a folder with no listable file only when allowed, without looking inside", async () => {
    const root = path.join(base, randomTestPrefix());
    const store = createDirStore({ root });
    await store.create();
    await mkdir(path.join(root, "area", "empty", "deeper"), { recursive: true });
    await mkdir(path.join(root, "area", "only-temp"), { recursive: true });
    await writeFile(path.join(root, "area", "only-temp", ".neff-tmp-0123456789abcdef"), "partial");
    await store.write("area/full/file.bin", { size: 1, open: () => Readable.from([Buffer.from("x")]) });
    const typed = async (emptyFoldersAllowed: boolean): Promise<string[]> => {
      const items: string[] = [];
      for await (const item of store.list("area", { recursive: false, emptyFoldersAllowed })) {
        items.push(`${item.type}:${item.key}`);
      }
      return items.sort();
    };
    expect(await typed(false)).toEqual(["dir:area/full"]);
    expect(await typed(true)).toEqual(["dir:area/empty", "dir:area/full", "dir:area/only-temp"]);
  });
});
