import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createDirStore } from "../store/dir/dir-store.ts";
import type { Store } from "../store/store.ts";
import { downloadFile, IntegrityError } from "./download-file.ts";

const EMPTY_SHA256 = createHash("sha256").digest("hex");
const EMPTY_MD5 = createHash("md5").digest("hex");

let work: string;
let store: Store;
let out: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(tmpdir(), "neff-download-"));
  store = createDirStore({ root: path.join(work, "store") });
  await store.create();
  out = path.join(work, "out");
  await store.write("a/present.bin", { size: 3, open: () => Readable.from([Buffer.from("abc")]) });
  await mkdir(out);
});
afterEach(() => rm(work, { recursive: true, force: true }));

describe("downloadFile", () => {
  it("creates an empty file its hash vouches for without reading the store (the key need not exist)", async () => {
    for (const [name, expected] of [
      ["by-sha256", { size: 0, sha256: EMPTY_SHA256.toUpperCase() }],
      ["by-md5", { size: 0, md5: EMPTY_MD5 }],
    ] as const) {
      const target = path.join(out, name);
      await downloadFile({ store, key: "a/not-in-the-store", path: target, expected });
      expect((await stat(target)).size).toBe(0);
    }
  });

  it("refuses an empty file whose manifest hash is not the empty input's, writing nothing", async () => {
    const target = path.join(out, "model.done");
    const error = await downloadFile({
      store,
      key: "a/model.done",
      path: target,
      expected: { size: 0, sha256: "1".repeat(64) },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(IntegrityError);
    expect((error as Error).message).toMatch(/a\/model\.done has sha256 e3b0c442.*, expected 1111/);
    expect(await readdir(out)).toEqual([]);
  });

  it("asks the store for an empty file with no hash, since only the listing vouches for it", async () => {
    const target = path.join(out, "missing");
    await expect(
      downloadFile({ store, key: "a/not-in-the-store", path: target, expected: { size: 0 } }),
    ).rejects.toThrow(/vanished from the store/);
    // The listing said 0 bytes, the object has 3: refused by its length.
    await expect(
      downloadFile({ store, key: "a/present.bin", path: path.join(out, "lying"), expected: { size: 0 } }),
    ).rejects.toThrow(/longer than the 0 bytes/);
  });

  it("copies and verifies a file from a directory store, refusing wrong bytes", async () => {
    const sha256 = createHash("sha256").update("abc").digest("hex");
    const target = path.join(out, "present.bin");
    await downloadFile({ store, key: "a/present.bin", path: target, expected: { size: 3, sha256 } });
    expect(await readFile(target, "utf8")).toBe("abc");
    await expect(
      downloadFile({
        store,
        key: "a/present.bin",
        path: path.join(out, "wrong.bin"),
        expected: { size: 3, sha256: "0".repeat(64) },
      }),
    ).rejects.toThrow(/has sha256 .*, expected 0000/);
  });
});
