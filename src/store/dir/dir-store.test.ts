import { mkdtempSync } from "node:fs";
import { chmod, mkdir, readdir, readFile, rm, stat, symlink, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { NotFoundError, StoreError, UsageError } from "../../errors.ts";
import type { ListItem, WriteSource } from "../store.ts";
import { dirFsError } from "./dir-fs-error.ts";
import { createDirStore } from "./dir-store.ts";

const base = mkdtempSync(path.join(tmpdir(), "neff-dir-store-"));
afterAll(() => rm(base, { recursive: true, force: true }));

let root: string;
let outside: string;
beforeEach(async () => {
  const dir = mkdtempSync(path.join(base, "case-"));
  root = path.join(dir, "store");
  outside = path.join(dir, "outside");
  await mkdir(root);
  await mkdir(outside);
  await writeFile(path.join(outside, "secret.txt"), "not for the store");
});

const source = (text: string): WriteSource => ({
  size: Buffer.byteLength(text),
  open: () => Readable.from([Buffer.from(text)]),
});

async function keys(items: AsyncIterable<ListItem>): Promise<string[]> {
  const out: string[] = [];
  for await (const item of items) out.push(`${item.type}:${item.key}`);
  return out.sort();
}

async function text(stream: Readable | null): Promise<string | null> {
  if (stream === null) return null;
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

describe("createDirStore", () => {
  it("skips a symlink that leads outside the root in listings and refuses to read it", async () => {
    const store = createDirStore({ root });
    await store.write("inside/real.txt", source("real"));
    await symlink(path.join(outside, "secret.txt"), path.join(root, "inside", "escape.txt"));
    await symlink(outside, path.join(root, "escaped-dir"));
    expect(await keys(store.list(""))).toEqual(["file:inside/real.txt"]);
    expect(await keys(store.list("", { recursive: false }))).toEqual(["dir:inside"]);
    await expect(store.read("inside/escape.txt")).rejects.toThrow(/leads outside/);
    await expect(store.stat("escaped-dir/secret.txt")).rejects.toThrow(/leads outside/);
    await expect(store.write("escaped-dir/new.txt", source("x"))).rejects.toThrow(/leads outside/);
    expect(await readdir(outside)).toEqual(["secret.txt"]);
  });

  it("follows a symlink that stays inside the root", async () => {
    const store = createDirStore({ root });
    await store.write("a/file.txt", source("content"));
    await symlink(path.join(root, "a", "file.txt"), path.join(root, "alias.txt"));
    expect(await text(await store.read("alias.txt"))).toBe("content");
    expect(await keys(store.list(""))).toEqual(["file:a/file.txt", "file:alias.txt"]);
  });

  it("does not loop on a symlink cycle", async () => {
    const store = createDirStore({ root });
    await store.write("a/file.txt", source("x"));
    await symlink(root, path.join(root, "a", "loop"));
    expect(await keys(store.list(""))).toEqual(["file:a/file.txt"]);
  });

  it("never lists temp files and refuses keys that look like them", async () => {
    const store = createDirStore({ root });
    await store.write("a/b.txt", source("b"));
    await writeFile(path.join(root, "a", ".neff-tmp-0123456789abcdef"), "half-written");
    expect(await keys(store.list(""))).toEqual(["file:a/b.txt"]);
    await expect(store.write("a/.neff-tmp-0123456789abcdef", source("x"))).rejects.toBeInstanceOf(UsageError);
  });

  it("removes the temp files a killed writer left an hour ago, and keeps those of live writers", async () => {
    await mkdir(path.join(root, "a"), { recursive: true });
    const abandoned = path.join(root, "a", ".neff-tmp-00000000000000aa");
    const live = path.join(root, "a", ".neff-tmp-00000000000000bb");
    await writeFile(abandoned, "left by a kill -9");
    await writeFile(live, "being written");
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    await utimes(abandoned, twoHoursAgo, twoHoursAgo);
    // A new store, as the next run opens it: its first write into the folder sweeps it.
    await createDirStore({ root }).write("a/b.txt", source("b"));
    expect((await readdir(path.join(root, "a"))).sort()).toEqual([".neff-tmp-00000000000000bb", "b.txt"]);
  });

  it("leaves no temp file behind after writes, copies and a failed write", async () => {
    const store = createDirStore({ root });
    await store.write("a/b.txt", source("b"));
    await store.write("a/c.txt", source("c"), { ifAbsent: true });
    await store.write("a/c.txt", source("c2"), { ifAbsent: true });
    await store.copy?.("a/b.txt", "a/d.txt");
    const liar: WriteSource = { size: 10, open: () => Readable.from([Buffer.from("short")]) };
    await expect(store.write("a/e.txt", liar)).rejects.toThrow(/5 bytes where 10/);
    expect((await readdir(path.join(root, "a"))).sort()).toEqual(["b.txt", "c.txt", "d.txt"]);
  });

  it("copies by hard link", async () => {
    const store = createDirStore({ root });
    await store.write("src.bin", source("linked"));
    await store.copy?.("src.bin", "dst/copy.bin");
    const [a, b] = await Promise.all([
      stat(path.join(root, "src.bin")),
      stat(path.join(root, "dst", "copy.bin")),
    ]);
    expect(b.ino).toBe(a.ino);
    await store.write("src.bin", source("replaced"));
    expect(await text(await store.read("dst/copy.bin"))).toBe("linked");
  });

  it("removes folders left empty by a delete, but never the root", async () => {
    const store = createDirStore({ root });
    await store.write("a/b/c/d.txt", source("d"));
    await store.write("a/keep.txt", source("k"));
    await store.delete("a/b/c/d.txt");
    expect(await readdir(path.join(root, "a"))).toEqual(["keep.txt"]);
    await store.delete("a/keep.txt");
    expect(await readdir(root)).toEqual([]);
    expect(await store.exists()).toBe(true);
  });

  it("reports a folder holding only empty folders as nothing", async () => {
    const store = createDirStore({ root });
    await mkdir(path.join(root, "empty", "deeper"), { recursive: true });
    expect(await keys(store.list("", { recursive: false }))).toEqual([]);
  });

  it("treats a missing root as absent: exists is false, create makes it, reads and writes say how to fix", async () => {
    const missing = path.join(root, "not", "yet");
    const store = createDirStore({ root: missing });
    expect(await store.exists()).toBe(false);
    await expect(keys(store.list(""))).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.write("k", source("x"))).rejects.toMatchObject({
      hint: expect.stringMatching(/neff-cache create file:\/\//),
    });
    expect(await store.create()).toEqual({ created: true });
    expect(await store.exists()).toBe(true);
    expect(await store.create()).toEqual({ created: false });
    await store.write("k", source("x"));
    expect(await text(await store.read("k"))).toBe("x");
  });

  it("rejects a root that is a file with a clear error", async () => {
    const file = path.join(root, "plain-file");
    await writeFile(file, "x");
    const store = createDirStore({ root: file });
    await expect(store.exists()).rejects.toThrow(/is a file, not a folder/);
    await expect(keys(store.list(""))).rejects.toBeInstanceOf(UsageError);
    await expect(store.create()).rejects.toBeInstanceOf(StoreError);
  });

  // root reads every folder whatever its mode, so this can only be observed as another user.
  it.skipIf(process.getuid?.() === 0)(
    "reports an unreadable root as a permission problem (non-root only)",
    async () => {
      const locked = path.join(root, "locked");
      await mkdir(locked);
      await chmod(locked, 0o000);
      try {
        await expect(createDirStore({ root: locked }).exists()).rejects.toThrow(/Permission denied/);
      } finally {
        await chmod(locked, 0o755);
      }
    },
  );

  it("refuses a key that is a folder of other keys as an object", async () => {
    const store = createDirStore({ root });
    await store.write("a/b.txt", source("b"));
    expect(await store.stat("a")).toBeNull();
    expect(await store.read("a")).toBeNull();
    await store.delete("a");
    await expect(store.write("a", source("x"))).rejects.toBeInstanceOf(StoreError);
    expect(await text(await store.read("a/b.txt"))).toBe("b");
  });

  it("copies an object into a new local file, and says false for a missing key or a folder", async () => {
    const store = createDirStore({ root });
    const body = Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a);
    await store.write("a/big.bin", { size: body.length, open: () => Readable.from([body]) });
    const target = path.join(outside, "big.bin");
    expect(await store.copyToFile?.("a/big.bin", target)).toBe(true);
    expect((await readFile(target)).equals(body)).toBe(true);
    expect(await store.copyToFile?.("a/missing.bin", path.join(outside, "missing.bin"))).toBe(false);
    expect(await store.copyToFile?.("a", path.join(outside, "folder"))).toBe(false);
    expect((await readdir(outside)).sort()).toEqual(["big.bin", "secret.txt"]);
  });

  it("never copies over an existing file, nor through a symlink out of the root", async () => {
    const store = createDirStore({ root });
    await store.write("a/file.txt", source("store bytes"));
    const existing = path.join(outside, "secret.txt");
    await expect(store.copyToFile?.("a/file.txt", existing)).rejects.toMatchObject({ code: "EEXIST" });
    expect(await readFile(existing, "utf8")).toBe("not for the store");
    await symlink(existing, path.join(root, "a", "escape.txt"));
    await expect(store.copyToFile?.("a/escape.txt", path.join(outside, "copy.txt"))).rejects.toThrow(
      /leads outside/,
    );
    // A destination folder that does not exist is the caller's problem, not a missing key.
    await expect(
      store.copyToFile?.("a/file.txt", path.join(outside, "no-such-dir", "file.txt")),
    ).rejects.toMatchObject({ code: "ENOENT" });
  });

  it.skipIf(process.getuid?.() === 0)(
    "names an unreadable object as a permission problem of the store when copying it (non-root only)",
    async () => {
      const store = createDirStore({ root });
      await store.write("a/file.txt", source("x"));
      await chmod(path.join(root, "a", "file.txt"), 0o000);
      await expect(store.copyToFile?.("a/file.txt", path.join(outside, "copy.txt"))).rejects.toThrow(
        /Permission denied while trying to read a\/file.txt/,
      );
    },
  );
});

describe("dirFsError", () => {
  const cases: Array<{ what: string; code: string; message: RegExp; retryable: boolean }> = [
    { what: "permission", code: "EACCES", message: /Permission denied/, retryable: false },
    { what: "space", code: "ENOSPC", message: /No space left/, retryable: false },
    { what: "read-only", code: "EROFS", message: /read-only/, retryable: false },
    { what: "stale NFS handle", code: "ESTALE", message: /Could not/, retryable: true },
    { what: "file/folder clash", code: "EISDIR", message: /same name/, retryable: false },
  ];
  for (const { what, code, message, retryable } of cases) {
    it(`maps ${code} (${what}) to a StoreError naming the folder`, () => {
      const error = dirFsError(Object.assign(new Error("raw"), { code }), "write k", "/srv/cache");
      expect(error).toBeInstanceOf(StoreError);
      expect(error.message).toMatch(message);
      expect(error.message).toContain("/srv/cache");
      expect(error.retryable).toBe(retryable);
    });
  }
});
