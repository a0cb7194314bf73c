/**
 * The one test suite every store backend runs (`runStoreContract`). Each run works under a
 * fresh random prefix, so runs never see each other's objects and leftovers are easy to find
 * (`neff-test-…`). A backend that cannot honour an item declares it in `unsupported` with the
 * reason, and the item is reported as skipped with that reason rather than faked.
 */
import { createCipheriv, createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAbortError, UsageError } from "../../src/errors.ts";
import { copyObject, deleteObjects, mapLimit, writeObjects } from "../../src/store/store-ops.ts";
import type { ListItem, Store, StoreObject, WriteSource } from "../../src/store/store.ts";

/** The items of the contract; each can be declared unsupported with a reason. */
export type ContractItem =
  | "round-trip"
  | "missing"
  | "list"
  | "pagination"
  | "large-object"
  | "range"
  | "odd-keys"
  | "overwrite"
  | "if-absent"
  | "copy"
  | "delete"
  | "delete-many"
  | "invalid-keys"
  | "write-many"
  | "cancellation"
  | "exists-create"
  | "abandoned-uploads";

export interface StoreContractOptions {
  /** Shown in the suite's name, e.g. "dir" or "s3". */
  name: string;
  /**
   * Returns a ready store rooted at `prefix` (a fresh random key prefix) inside an existing
   * bucket or folder. Called once for the main store and once per isolation check.
   */
  create: (prefix: string) => Promise<Store>;
  /**
   * Returns a store whose bucket or folder does not exist yet, and how to remove it afterwards.
   * Without it, `exists`/`create` are only checked on an existing store.
   */
  createUncreated?: () => Promise<{ store: Store; cleanup: () => Promise<void> }>;
  /** Items this backend cannot honour, each with the reason. */
  unsupported?: Partial<Record<ContractItem, string>>;
  /**
   * How a backend with server-side partial uploads shows them to the "abandoned-uploads" item,
   * by its own means, not through the store under test.
   */
  partialUploads?: PartialUploadHooks;
}

export interface PartialUploadHooks {
  /**
   * Leaves a partial upload in folder `a/` of the store at `prefix`, as a killed writer does.
   * `abandoned`: old enough for `openSweeping` stores to remove; otherwise just begun.
   */
  leave: (prefix: string, abandoned: boolean) => Promise<void>;
  /** A store at `prefix` whose age rule counts what `leave(prefix, true)` left as abandoned. */
  openSweeping: (prefix: string) => Promise<Store>;
  /** How many partial uploads are left under `prefix`. */
  count: (prefix: string) => Promise<number>;
}

/** A prefix unique to one run: `neff-test-<12 hex>`. */
export function randomTestPrefix(): string {
  return `neff-test-${randomBytes(6).toString("hex")}`;
}

/** Bytes from memory as a write source. */
export function bytesSource(bytes: Buffer): WriteSource {
  return { size: bytes.length, open: () => Readable.from([bytes]) };
}

/**
 * `size` pseudo-random, incompressible bytes that are the same on every `open()` for one
 * seed (an AES-CTR keystream), produced 1 MiB at a time so no test holds them in memory.
 */
export function deterministicSource(size: number, seed: string): WriteSource {
  return { size, open: () => deterministicStream(size, seed) };
}

/** Reads a stream to the end into one buffer (small objects only). */
export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** The whole object at `key`, or null when the store has none. */
export async function readObject(store: Store, key: string): Promise<Buffer | null> {
  const body = await store.read(key);
  return body === null ? null : readAll(body);
}

/** Collects a listing. */
export async function collect(items: AsyncIterable<ListItem>): Promise<ListItem[]> {
  const out: ListItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

export function runStoreContract(options: StoreContractOptions): void {
  const unsupported = options.unsupported ?? {};
  const item = (id: ContractItem, title: string, fn: () => Promise<void>, timeout?: number): void => {
    const reason = unsupported[id];
    if (reason !== undefined) it.skip(`${title} (unsupported: ${reason})`, fn);
    else it(title, fn, timeout);
  };

  describe(`store contract: ${options.name}`, () => {
    let store: Store;
    const extraStores: Store[] = [];

    beforeAll(async () => {
      store = await options.create(randomTestPrefix());
    });

    afterAll(async () => {
      for (const s of [store, ...extraStores]) {
        if (s === undefined) continue;
        const keys: string[] = [];
        for await (const entry of s.list("")) if (entry.type === "file") keys.push(entry.key);
        await deleteObjects(s, keys);
        await s.close();
      }
    }, 300_000);

    const extraStore = async (prefix: string): Promise<Store> => {
      const s = await options.create(prefix);
      extraStores.push(s);
      return s;
    };

    item("round-trip", "write, stat, read and list agree for objects of 0 B to 5 MiB", async () => {
      const sizes = [0, 1, 1000, 5 * 1024 * 1024 + 3];
      for (const size of sizes) {
        const key = `rt/object-${size}.bin`;
        const bytes = await readAll(deterministicStream(size, key));
        const written = await store.write(key, bytesSource(bytes));
        expect(written.created).toBe(true);
        expect(written.object).toMatchObject({ key, size });
        const stat = await store.stat(key);
        expect(stat).toMatchObject({ key, size });
        expectHashes(store, stat as StoreObject, bytes);
        const body = await store.read(key);
        expect(body).not.toBeNull();
        expect(sha256(await readAll(body as Readable))).toBe(sha256(bytes));
      }
      const listed = files(await collect(store.list("rt")));
      expect(listed.map((f) => [f.key, f.size]).sort()).toEqual(
        sizes.map((size) => [`rt/object-${size}.bin`, size]).sort(),
      );
    });

    item("missing", "stat and read return null for a missing key", async () => {
      expect(await store.stat("missing/nothing.bin")).toBeNull();
      expect(await store.read("missing/nothing.bin")).toBeNull();
      expect(await store.read("missing/nothing.bin", { range: { offset: 0, length: 1 } })).toBeNull();
      expect(await store.stat("missing")).toBeNull();
    });

    item("list", "list yields nothing for a fresh store or an unused prefix", async () => {
      const fresh = await extraStore(randomTestPrefix());
      expect(await collect(fresh.list(""))).toEqual([]);
      expect(await collect(store.list("no-such-prefix"))).toEqual([]);
      expect(await collect(store.list("no-such-prefix", { recursive: false }))).toEqual([]);
    });

    item("list", "list never returns siblings of the prefix, inside the store or beside it", async () => {
      const prefix = randomTestPrefix();
      const main = await extraStore(prefix);
      const sibling = await extraStore(`${prefix}-sibling`);
      await sibling.write("outside.txt", bytesSource(Buffer.from("sibling store")));
      for (const key of ["sib/a/x", "sib/ab/y", "sib/a-b", "sib/a.txt"]) {
        await main.write(key, bytesSource(Buffer.from(key)));
      }
      expect(keysOf(await collect(main.list("sib/a")))).toEqual(["sib/a/x"]);
      expect(keysOf(await collect(main.list("sib/a", { recursive: false })))).toEqual(["sib/a/x"]);
      expect(keysOf(await collect(main.list("")))).toEqual(["sib/a-b", "sib/a.txt", "sib/a/x", "sib/ab/y"]);
      expect(keysOf(await collect(sibling.list("")))).toEqual(["outside.txt"]);
    });

    item("list", "list is recursive by default and reports sub-prefixes once when not", async () => {
      const keys = ["tree/a.txt", "tree/b/c.txt", "tree/b/d/e.txt", "tree/b/d/f.txt", "tree/g/h.txt"];
      await mapLimit(keys, 8, (key) => store.write(key, bytesSource(Buffer.from(key))));
      const all = await collect(store.list("tree"));
      expect(all.every((entry) => entry.type === "file")).toBe(true);
      expect(keysOf(all)).toEqual([...keys].sort());
      const shallow = await collect(store.list("tree", { recursive: false }));
      expect(shallow.filter((e) => e.type === "file").map((e) => e.key)).toEqual(["tree/a.txt"]);
      expect(
        shallow
          .filter((e) => e.type === "dir")
          .map((e) => e.key)
          .sort(),
      ).toEqual(["tree/b", "tree/g"]);
      const deeper = await collect(store.list("tree/b", { recursive: false }));
      expect(deeper.map((e) => `${e.type}:${e.key}`).sort()).toEqual(["dir:tree/b/d", "file:tree/b/c.txt"]);
      // Parallel starts change how a backend lists, never what: at a sub-prefix, inside one, on a
      // file's own key, outside the prefix, repeated and unsorted.
      const parallelFrom = ["tree/g", "tree/b/d/e.txt", "tree/a.txt", "elsewhere/z", "tree/b", "tree/b"];
      for (const recursive of [true, false]) {
        const plain = await collect(store.list("tree", { recursive }));
        const started = await collect(store.list("tree", { recursive, parallelFrom }));
        expect(typedKeys(started)).toEqual(typedKeys(plain));
      }
      expect(typedKeys(await collect(store.list("tree/b", { recursive: false, parallelFrom })))).toEqual(
        typedKeys(deeper),
      );
      await expectEmptyFoldersOnlyAdded(store, "tree");
    });

    item(
      "pagination",
      "list follows pagination past 1,000 keys, recursive and not",
      async () => {
        const count = 1100;
        const keys = Array.from({ length: count }, (_, i) => `page/d${String(i).padStart(4, "0")}/f`);
        await mapLimit(keys, 32, (key) => store.write(key, bytesSource(Buffer.from(key))));
        const all = await collect(store.list("page"));
        expect(all).toHaveLength(count);
        expect(new Set(keysOf(all)).size).toBe(count);
        const shallow = await collect(store.list("page", { recursive: false }));
        expect(shallow).toHaveLength(count);
        expect(shallow.every((entry) => entry.type === "dir")).toBe(true);
        // Started at every 300th folder and at one file's key: the same items, each once.
        const parallelFrom = [
          ...keys.filter((_, i) => i % 300 === 0).map((key) => key.slice(0, -2)),
          keys[500] ?? "",
        ];
        for (const [recursive, plain] of [
          [true, all],
          [false, shallow],
        ] as const) {
          const started = await collect(store.list("page", { recursive, parallelFrom }));
          expect(typedKeys(started)).toEqual(typedKeys(plain));
        }
        await deleteObjects(store, keys);
        expect(await collect(store.list("page"))).toEqual([]);
      },
      300_000,
    );

    item(
      "large-object",
      "a 256 MiB object streams both ways with memory well below its size",
      async () => {
        const size = 256 * 1024 * 1024;
        const source = deterministicSource(size, "large");
        const expected = await sha256Stream(source.open());
        const meter = startRssMeter();
        try {
          let progressed = 0;
          const written = await store.write("large/object.bin", source, {
            onProgress: (p) => (progressed += p.bytes),
          });
          expect(written.object.size).toBe(size);
          expect(progressed).toBe(size);
          const body = await store.read("large/object.bin");
          expect(body).not.toBeNull();
          expect(await sha256Stream(body as Readable)).toBe(expected);
        } finally {
          meter.stop();
        }
        // Memory, not time: a body buffered whole would add at least 256 MiB. Half of it leaves
        // room for what streaming may hold (S3 sends a stream's 64 MiB parts one at a time) and
        // for collections that come late on a loaded machine (110 MB measured once at load 9).
        expect(meter.growthBytes()).toBeLessThan(128 * 1024 * 1024);
        await store.delete("large/object.bin");
      },
      600_000,
    );

    item("range", "ranged reads return exactly the requested bytes", async () => {
      const size = 1024 * 1024 + 17;
      const bytes = await readAll(deterministicStream(size, "range"));
      await store.write("range/object.bin", bytesSource(bytes));
      const ranges = [
        { offset: 0, length: 1 },
        { offset: 100, length: 200 },
        { offset: size - 10, length: 10 },
        { offset: 500_000, length: 300_000 },
        { offset: 0, length: size },
      ];
      for (const range of ranges) {
        const body = await store.read("range/object.bin", { range });
        expect(body).not.toBeNull();
        const got = await readAll(body as Readable);
        expect(got.length).toBe(range.length);
        expect(got.equals(bytes.subarray(range.offset, range.offset + range.length))).toBe(true);
      }
    });

    item(
      "odd-keys",
      "keys with spaces, +, unicode, %20, ~=& and deep paths survive a round-trip",
      async () => {
        const keys = [
          "odd/with space.txt",
          "odd/plus+sign.bin",
          "odd/unicode-é-Ω-世界-🙂.json",
          "odd/literal%20percent",
          "odd/tilde~equals=amp&.txt",
          "odd/quote'star*(paren)[bracket]",
          "odd/comma,semicolon;colon:at@dollar$",
          "odd/MODULE_123+abc/model.neff",
          "odd/a/b/c/d/e/f/g/h/i/j/deep.bin",
        ];
        for (const key of keys) {
          await store.write(key, bytesSource(Buffer.from(`body of ${key}`)));
          expect(await store.stat(key)).toMatchObject({ key, size: Buffer.byteLength(`body of ${key}`) });
          expect((await readAll((await store.read(key)) as Readable)).toString()).toBe(`body of ${key}`);
        }
        expect(keysOf(await collect(store.list("odd")))).toEqual([...keys].sort());
        const shallow = await collect(store.list("odd", { recursive: false }));
        expect(shallow.find((e) => e.key === "odd/with space.txt")?.type).toBe("file");
        expect(shallow.find((e) => e.key === "odd/MODULE_123+abc")?.type).toBe("dir");
        await deleteObjects(store, keys);
        expect(await collect(store.list("odd"))).toEqual([]);
      },
    );

    item("overwrite", "write replaces an existing object", async () => {
      await store.write("over/key", bytesSource(Buffer.from("first version, longer")));
      const second = await store.write("over/key", bytesSource(Buffer.from("second")));
      expect(second).toMatchObject({ created: true, object: { size: 6 } });
      expect(await store.stat("over/key")).toMatchObject({ size: 6 });
      expect((await readAll((await store.read("over/key")) as Readable)).toString()).toBe("second");
    });

    item("if-absent", "ifAbsent creates a missing key and keeps an existing one", async () => {
      const first = await store.write("cond/key", bytesSource(Buffer.from("one")), { ifAbsent: true });
      expect(first).toMatchObject({ created: true, object: { key: "cond/key", size: 3 } });
      const second = await store.write("cond/key", bytesSource(Buffer.from("two!")), { ifAbsent: true });
      expect(second).toMatchObject({ created: false, object: { key: "cond/key", size: 3 } });
      expect((await readAll((await store.read("cond/key")) as Readable)).toString()).toBe("one");
    });

    item("if-absent", "concurrent ifAbsent writers to one key leave one writer's whole bytes", async () => {
      const writers = 6;
      const bodies = Array.from({ length: writers }, (_, i) => Buffer.alloc(256 * 1024 + i, 65 + i));
      const results = await Promise.all(
        bodies.map((body) => store.write("race/key", bytesSource(body), { ifAbsent: true })),
      );
      const created = results.filter((r) => r.created);
      const final = await readAll((await store.read("race/key")) as Readable);
      expect(bodies.some((body) => body.equals(final))).toBe(true);
      expect(created.length).toBeGreaterThanOrEqual(1);
      if (store.capabilities.conditionalCreate) {
        expect(created).toHaveLength(1);
        const winner = results.findIndex((r) => r.created);
        expect(final.equals(bodies[winner] as Buffer)).toBe(true);
        for (const result of results) expect(result.object.size).toBe(final.length);
      }
    });

    item(
      "write-many",
      "a batch write reports each item's own outcome, natively and through the fallback",
      async () => {
        const variants: Array<[string, Store]> = [["fallback", withoutOptionalMethods(store)]];
        if (store.writeMany) variants.push(["native", store]);
        for (const [variant, target] of variants) {
          const at = (name: string): string => `many-${variant}/${name}`;
          const broken: WriteSource = {
            size: 6,
            open: () =>
              new Readable({
                read() {
                  this.destroy(new Error("EIO: the disk refused the read"));
                },
              }),
          };
          const outcomes = await writeObjects(target, [
            { key: at("a"), source: bytesSource(Buffer.from("alpha")) },
            { key: "../escape", source: bytesSource(Buffer.from("never")) },
            { key: at("broken"), source: broken },
            { key: at("b"), source: bytesSource(Buffer.from("bravo!")) },
          ]);
          expect(
            outcomes.map((outcome) => outcome.ok),
            variant,
          ).toEqual([true, false, false, true]);
          const [a, escape, failed, b] = outcomes;
          expect(a?.ok && a.result).toMatchObject({ created: true, object: { key: at("a"), size: 5 } });
          expect(b?.ok && b.result).toMatchObject({ created: true, object: { key: at("b"), size: 6 } });
          expect(escape?.ok === false && escape.error).toBeInstanceOf(UsageError);
          // Each failure carries its own cause, never another item's.
          expect(escape?.ok === false && escape.error.message).toMatch(/\.\./);
          expect(failed?.ok === false && failed.error.message).toMatch(/EIO|refused the read|broken/);
          expect(failed?.ok === false && failed.error.message).not.toMatch(/\.\./);
          expect(await store.stat(at("broken"))).toBeNull();
          expect((await readAll((await store.read(at("b"))) as Readable)).toString()).toBe("bravo!");

          const again = await writeObjects(
            target,
            [
              { key: at("a"), source: bytesSource(Buffer.from("other")) },
              { key: at("c"), source: bytesSource(Buffer.from("charlie")) },
            ],
            { ifAbsent: true },
          );
          expect(
            again.map((outcome) => outcome.ok && outcome.result.created),
            variant,
          ).toEqual([false, true]);
          expect((await readAll((await store.read(at("a"))) as Readable)).toString()).toBe("alpha");
        }
      },
    );

    item("overwrite", "concurrent plain writers to one key leave one writer's whole bytes", async () => {
      const bodies = Array.from({ length: 5 }, (_, i) => Buffer.alloc(512 * 1024 + i * 7, 97 + i));
      await Promise.all(bodies.map((body) => store.write("race/plain", bytesSource(body))));
      const final = await readAll((await store.read("race/plain")) as Readable);
      expect(bodies.some((body) => body.equals(final))).toBe(true);
    });

    item("copy", "copy duplicates an object, natively and through the fallback", async () => {
      const bytes = await readAll(deterministicStream(300_000, "copy"));
      await store.write("copy/source.bin", bytesSource(bytes));
      await store.write("copy/fallback.bin", bytesSource(Buffer.from("to be replaced")));
      const variants: Array<[string, Store]> = [["fallback", withoutOptionalMethods(store)]];
      if (store.copy) variants.push(["native", store]);
      for (const [name, target] of variants) {
        const copied = await copyObject(target, "copy/source.bin", `copy/${name}.bin`);
        expect(copied).toMatchObject({ key: `copy/${name}.bin`, size: bytes.length });
        const body = await readAll((await store.read(`copy/${name}.bin`)) as Readable);
        expect(body.equals(bytes)).toBe(true);
        expect(await copyObject(target, "copy/missing.bin", `copy/${name}-missing.bin`)).toBeNull();
        expect(await store.stat(`copy/${name}-missing.bin`)).toBeNull();
      }
      // The source is untouched and independent of its copies.
      await store.write("copy/source.bin", bytesSource(Buffer.from("changed")));
      const copy = await readAll((await store.read("copy/fallback.bin")) as Readable);
      expect(copy.equals(bytes)).toBe(true);
      if (store.copy) {
        expect((await readAll((await store.read("copy/native.bin")) as Readable)).equals(bytes)).toBe(true);
      }
    });

    item("delete", "delete removes an object and is idempotent", async () => {
      await store.write("del1/a/b/key", bytesSource(Buffer.from("x")));
      await store.write("del1/a/other", bytesSource(Buffer.from("y")));
      await store.delete("del1/a/b/key");
      expect(await store.stat("del1/a/b/key")).toBeNull();
      expect(await store.read("del1/a/b/key")).toBeNull();
      await store.delete("del1/a/b/key");
      await store.delete("del1/never/existed");
      expect(keysOf(await collect(store.list("del1")))).toEqual(["del1/a/other"]);
      expect(keysOf(await collect(store.list("del1/a", { recursive: false })))).toEqual(["del1/a/other"]);
    });

    item(
      "delete-many",
      "deleteMany removes exactly the given keys, natively and through the fallback",
      async () => {
        const variants: Array<[string, Store]> = [["fallback", withoutOptionalMethods(store)]];
        if (store.deleteMany) variants.push(["native", store]);
        for (const [name, target] of variants) {
          const keys = Array.from({ length: 25 }, (_, i) => `delmany-${name}/k${i}`);
          await mapLimit(keys, 8, (key) => store.write(key, bytesSource(Buffer.from(key))));
          await deleteObjects(target, [...keys.slice(0, 20), `delmany-${name}/never`]);
          expect(keysOf(await collect(store.list(`delmany-${name}`)))).toEqual([...keys.slice(20)].sort());
          await deleteObjects(target, keys);
          expect(await collect(store.list(`delmany-${name}`))).toEqual([]);
        }
      },
      120_000,
    );

    item(
      "invalid-keys",
      "keys with '..', absolute paths or empty segments are rejected before any I/O",
      async () => {
        const bad = ["../escape", "a/../../b", "/etc/passwd", "a//b", "./a", "", "a\\b"];
        const untouched: WriteSource = {
          size: 1,
          open: () => {
            throw new Error("the source of an invalid key was opened");
          },
        };
        for (const key of bad) {
          await expect(store.stat(key)).rejects.toBeInstanceOf(UsageError);
          await expect(store.read(key)).rejects.toBeInstanceOf(UsageError);
          await expect(store.write(key, untouched)).rejects.toBeInstanceOf(UsageError);
          await expect(store.write(key, untouched, { ifAbsent: true })).rejects.toBeInstanceOf(UsageError);
          await expect(store.delete(key)).rejects.toBeInstanceOf(UsageError);
          if (store.copy) {
            await expect(store.copy(key, "ok/key")).rejects.toBeInstanceOf(UsageError);
            await expect(store.copy("ok/key", key)).rejects.toBeInstanceOf(UsageError);
          }
          if (store.deleteMany)
            await expect(store.deleteMany(["ok/key", key])).rejects.toBeInstanceOf(UsageError);
          if (key !== "") await expect(collect(store.list(key))).rejects.toBeInstanceOf(UsageError);
        }
      },
    );

    item(
      "cancellation",
      "an aborted write rejects with AbortError and leaves no object",
      async () => {
        const size = 64 * 1024 * 1024;
        const controller = new AbortController();
        const source: WriteSource = {
          size,
          open: () => abortAfter(deterministicStream(size, "abort"), 4 * 1024 * 1024, controller),
        };
        const error = await store.write("abort/object.bin", source, { signal: controller.signal }).then(
          () => null,
          (e: unknown) => e,
        );
        expect(isAbortError(error)).toBe(true);
        expect(await store.stat("abort/object.bin")).toBeNull();
        expect(await collect(store.list("abort"))).toEqual([]);

        const early = new AbortController();
        early.abort();
        await expect(
          store.write("abort/early.bin", bytesSource(Buffer.from("x")), { signal: early.signal }),
        ).rejects.toSatisfy(isAbortError);
        expect(await store.stat("abort/early.bin")).toBeNull();
      },
      120_000,
    );

    item(
      "cancellation",
      "an aborted read fails its stream with AbortError",
      async () => {
        const size = 32 * 1024 * 1024;
        await store.write("abort/readable.bin", deterministicSource(size, "read-abort"));
        const controller = new AbortController();
        const body = await store.read("abort/readable.bin", { signal: controller.signal });
        expect(body).not.toBeNull();
        let received = 0;
        const error = await (async () => {
          for await (const chunk of body as Readable) {
            received += (chunk as Buffer).length;
            if (!controller.signal.aborted) controller.abort();
          }
        })().then(
          () => null,
          (e: unknown) => e,
        );
        expect(isAbortError(error)).toBe(true);
        expect(received).toBeLessThan(size);
      },
      120_000,
    );

    item(
      "abandoned-uploads",
      "a writer removes killed writers' partial uploads and keeps live ones",
      async () => {
        const hooks = options.partialUploads;
        if (hooks === undefined)
          throw new Error(`${options.name}: give partialUploads, or say why it is unsupported`);
        const prefix = randomTestPrefix();
        await hooks.leave(prefix, true);
        expect(await hooks.count(prefix)).toBe(1);
        const sweeping = await hooks.openSweeping(prefix);
        await sweeping.write("a/next.bin", bytesSource(Buffer.from("next")));
        await sweeping.close();
        expect(await hooks.count(prefix)).toBe(0);
        // A young one may be a live writer's: the ordinary age rule keeps it.
        await hooks.leave(prefix, false);
        const plain = await extraStore(prefix);
        await plain.write("a/other.bin", bytesSource(Buffer.from("other")));
        await plain.close();
        expect(await hooks.count(prefix)).toBe(1);
        // A folder holding only a begun upload lists no file: it is a `dir` item only to a
        // listing that allows empty folders.
        const begun = randomTestPrefix();
        await hooks.leave(begun, false);
        const beside = await extraStore(begun);
        await beside.write("b/real.bin", bytesSource(Buffer.from("real")));
        expect(typedKeys(await collect(beside.list("", { recursive: false })))).toEqual(["dir:b"]);
        const allowed = await expectEmptyFoldersOnlyAdded(beside, "");
        await beside.close();
        expect(allowed.filter((key) => key !== "dir:b").every((key) => key === "dir:a")).toBe(true);
      },
    );

    item("exists-create", "exists and create report the state of the bucket or folder", async () => {
      expect(await store.exists()).toBe(true);
      expect(await store.create()).toEqual({ created: false });
      if (options.createUncreated === undefined) return;
      const { store: fresh, cleanup } = await options.createUncreated();
      try {
        expect(await fresh.exists()).toBe(false);
        expect(await fresh.create()).toEqual({ created: true });
        expect(await fresh.exists()).toBe(true);
        expect(await fresh.create()).toEqual({ created: false });
        expect(await collect(fresh.list(""))).toEqual([]);
      } finally {
        await fresh.close();
        await cleanup();
      }
    });
  });
}

// --- internal ---

/**
 * A folder-only listing that allows empty folders holds every item of one that does not, and
 * each item more is a folder below which nothing is listed. Returns its typed keys.
 */
async function expectEmptyFoldersOnlyAdded(store: Store, prefix: string): Promise<string[]> {
  const strict = typedKeys(await collect(store.list(prefix, { recursive: false })));
  const allowed = typedKeys(
    await collect(store.list(prefix, { recursive: false, emptyFoldersAllowed: true })),
  );
  const added = allowed.filter((key) => !strict.includes(key));
  expect(allowed.filter((key) => strict.includes(key))).toEqual(strict);
  for (const key of added) {
    expect(key.startsWith("dir:")).toBe(true);
    expect(await collect(store.list(key.slice("dir:".length)))).toEqual([]);
  }
  return allowed;
}

function deterministicStream(size: number, seed: string): Readable {
  const key = createHash("sha256").update(seed).digest().subarray(0, 16);
  const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
  const block = Buffer.alloc(1024 * 1024);
  let remaining = size;
  return new Readable({
    read() {
      if (remaining === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(remaining, block.length);
      remaining -= n;
      this.push(cipher.update(block.subarray(0, n)));
    },
  });
}

/** Passes bytes through and aborts `controller` once `after` bytes went by. */
function abortAfter(input: Readable, after: number, controller: AbortController): Readable {
  let seen = 0;
  const output = new Readable({ read() {} });
  input.on("data", (chunk: Buffer) => {
    seen += chunk.length;
    output.push(chunk);
    if (seen >= after && !controller.signal.aborted) {
      input.pause();
      controller.abort();
    }
  });
  input.on("end", () => output.push(null));
  input.on("error", (error) => output.destroy(error));
  output.on("close", () => input.destroy());
  return output;
}

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}

async function sha256Stream(stream: Readable): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of stream) hash.update(chunk as Uint8Array);
  return hash.digest("hex");
}

function expectHashes(store: Store, object: StoreObject, bytes: Buffer): void {
  if (store.capabilities.listedHashes.includes("md5")) {
    expect(object.md5).toBe(createHash("md5").update(bytes).digest("hex"));
  }
  if (store.capabilities.listedHashes.includes("sha256")) expect(object.sha256).toBe(sha256(bytes));
}

function files(items: ListItem[]): StoreObject[] {
  return items.filter((item): item is ListItem & { type: "file" } => item.type === "file");
}

/** `type:key` of every item, sorted: a listing's content whatever its order. */
function typedKeys(items: ListItem[]): string[] {
  return items.map((item) => `${item.type}:${item.key}`).sort();
}

function keysOf(items: ListItem[]): string[] {
  return items.map((item) => item.key).sort();
}

/** The store with its optional fast paths hidden, so `store-ops` takes its fallbacks. */
function withoutOptionalMethods(store: Store): Store {
  return {
    kind: store.kind,
    url: store.url,
    capabilities: { ...store.capabilities, serverSideCopy: false, batchDelete: false, batchWrite: false },
    list: (prefix, o) => store.list(prefix, o),
    stat: (key, o) => store.stat(key, o),
    read: (key, o) => store.read(key, o),
    write: (key, source, o) => store.write(key, source, o),
    delete: (key, o) => store.delete(key, o),
    exists: (o) => store.exists(o),
    create: (o) => store.create(o),
    close: async () => {},
  };
}

/** Samples resident memory while a transfer runs; growth is the peak over the starting value. */
function startRssMeter(): { stop: () => void; growthBytes: () => number } {
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 10);
  return {
    stop: () => {
      peak = Math.max(peak, process.memoryUsage.rss());
      clearInterval(timer);
    },
    growthBytes: () => peak - start,
  };
}
