import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startHubServer } from "../../../tools/hub-server/start-hub-server.ts";
import type { HubServer } from "../../../tools/hub-server/start-hub-server.ts";
import { NotFoundError, StoreError } from "../../errors.ts";
import { requireWritten } from "../store-ops.ts";
import type { Store, WriteSource } from "../store.ts";
import { createHfStore } from "./hf-store.ts";
import type { HfStoreOptions } from "./hf-store.ts";

const WRITE_TOKEN = "hf_writetoken_0123456789abcdef";
const READ_TOKEN = "hf_readtoken_0123456789abcdef";
const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 50, maxTotalMs: 20_000 };

let server: HubServer;
let tmp: string;
let bucketCount = 0;

beforeAll(async () => {
  server = await startHubServer({
    port: 0,
    tokens: [
      { token: WRITE_TOKEN, scope: "write" },
      { token: READ_TOKEN, scope: "read" },
    ],
  });
  tmp = await mkdtemp(join(tmpdir(), "hf-store-test-"));
});

afterAll(async () => {
  await server?.close();
  await rm(tmp, { recursive: true, force: true });
});

afterEach(() => {
  server.faults.clear();
});

/** A store on a fresh bucket of the local server, created with the write token. */
async function freshStore(overrides: Partial<HfStoreOptions> = {}, isPrivate = false): Promise<Store> {
  const name = `bucket-${++bucketCount}`;
  const store = createHfStore({
    namespace: "ns",
    name,
    prefix: "cache",
    env: { HF_TOKEN: WRITE_TOKEN, HF_ENDPOINT: server.url, HF_HOME: join(tmp, "no-home") },
    retry: FAST_RETRY,
    ...overrides,
  });
  await createHfStore({
    namespace: "ns",
    name,
    prefix: "",
    env: { HF_TOKEN: WRITE_TOKEN, HF_ENDPOINT: server.url },
  }).create({ private: isPrivate });
  return store;
}

function bytes(data: Buffer, withSha = false): WriteSource {
  return {
    size: data.length,
    open: () => Readable.from([data]),
    ...(withSha ? { sha256: createHash("sha256").update(data).digest("hex") } : {}),
  };
}

async function readAll(store: Store, key: string): Promise<Buffer | null> {
  const body = await store.read(key);
  return body === null ? null : buffer(body);
}

async function keys(store: Store, prefix: string, recursive = true): Promise<string[]> {
  const out: string[] = [];
  for await (const item of store.list(prefix, { recursive })) out.push(`${item.type}:${item.key}`);
  return out.sort();
}

async function failure(promise: Promise<unknown>): Promise<StoreError> {
  try {
    await promise;
  } catch (error) {
    // Store failures are StoreErrors; a missing bucket is a NotFoundError like on every backend.
    expect(error instanceof StoreError || error instanceof NotFoundError).toBe(true);
    return error as StoreError;
  }
  throw new Error("expected a failure");
}

/** Every text an error exposes: message, hint, cause chain, JSON and inspect forms. */
function everyText(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error, depth = 0; current && depth < 6; depth++) {
    parts.push(String(current), JSON.stringify(current) ?? "", (current as Error).stack ?? "");
    parts.push(String((current as { hint?: unknown }).hint ?? ""));
    current = (current as Error).cause;
  }
  return parts.join("\n");
}

describe("hf store: tokens", () => {
  it("uses HF_TOKEN before the token file of HF_HOME", async () => {
    const home = join(tmp, "home-read");
    await rm(home, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(home, { recursive: true }));
    await writeFile(join(home, "token"), READ_TOKEN);
    const base = await freshStore();
    const name = base.url.split("/")[4] as string;
    const withEnv = createHfStore({
      namespace: "ns",
      name,
      prefix: "",
      env: { HF_TOKEN: WRITE_TOKEN, HF_HOME: home, HF_ENDPOINT: server.url },
    });
    await withEnv.write("from-env", bytes(Buffer.from("env")));
    const fromFile = createHfStore({
      namespace: "ns",
      name,
      prefix: "",
      env: { HF_HOME: home, HF_ENDPOINT: server.url },
    });
    // The read token from the file can read but not write.
    expect((await readAll(fromFile, "from-env"))?.toString()).toBe("env");
    const error = await failure(fromFile.write("from-file", bytes(Buffer.from("file"))));
    expect(error.status).toBe(403);
    expect(error.message).toContain(`token lacks write access to ns/${name}`);
  });

  it("reads the token from $HF_HOME/token when HF_TOKEN is unset", async () => {
    const home = join(tmp, "home-write");
    await import("node:fs/promises").then((fs) => fs.mkdir(home, { recursive: true }));
    await writeFile(join(home, "token"), `${WRITE_TOKEN}\n`);
    const base = await freshStore();
    const name = base.url.split("/")[4] as string;
    const store = createHfStore({
      namespace: "ns",
      name,
      prefix: "",
      env: { HF_HOME: home, HF_ENDPOINT: server.url },
    });
    await store.write("k", bytes(Buffer.from("v")));
    expect((await readAll(store, "k"))?.toString()).toBe("v");
  });

  it("reads a public bucket without any token", async () => {
    const base = await freshStore();
    await base.write("pub", bytes(Buffer.from("public")));
    const name = base.url.split("/")[4] as string;
    const anonymous = createHfStore({
      namespace: "ns",
      name,
      prefix: "cache",
      env: { HF_ENDPOINT: server.url, HF_HOME: join(tmp, "nobody") },
    });
    expect((await readAll(anonymous, "pub"))?.toString()).toBe("public");
    expect(await keys(anonymous, "")).toEqual(["file:pub"]);
  });
});

describe("hf store: errors", () => {
  it("says how to log in on 401, without the token", async () => {
    const badToken = "hf_not_a_known_token_42";
    const base = await freshStore({}, true);
    const name = base.url.split("/")[4] as string;
    const store = createHfStore({
      namespace: "ns",
      name,
      prefix: "",
      env: { HF_TOKEN: badToken, HF_ENDPOINT: server.url },
    });
    const attempts = [
      () => store.write("k", bytes(Buffer.from("x"))),
      () => store.stat("k"),
      () => keys(store, ""),
    ];
    for (const attempt of attempts) {
      const error = await failure(attempt());
      expect(error.status).toBe(401);
      expect(error.message).toContain("token rejected or missing; set HF_TOKEN or run `hf auth login`");
      expect(everyText(error)).not.toContain(badToken);
    }
  });

  it("explains a token that is not a Hugging Face token, without echoing it", async () => {
    const odd = "not-a-hub-token-5678";
    const base = await freshStore();
    const name = base.url.split("/")[4] as string;
    const store = createHfStore({
      namespace: "ns",
      name,
      prefix: "",
      env: { HF_TOKEN: odd, HF_ENDPOINT: server.url },
    });
    const error = await failure(store.write("k", bytes(Buffer.from("x"))));
    expect(error.message).toContain('start with "hf_"');
    expect(everyText(error)).not.toContain(odd);
  });

  it("never echoes a token that no HTTP header can carry", async () => {
    const broken = "hf_first_half\u0000second_half_secret";
    const store = createHfStore({
      namespace: "ns",
      name: "b",
      prefix: "",
      env: { HF_TOKEN: broken, HF_ENDPOINT: server.url },
      retry: { maxAttempts: 1 },
    });
    const error = await failure(store.stat("k"));
    expect(everyText(error)).not.toContain("first_half");
    expect(everyText(error)).not.toContain("second_half_secret");
  });

  it("says how to create a missing bucket on 404", async () => {
    const store = createHfStore({
      namespace: "ns",
      name: "never-created",
      prefix: "",
      env: { HF_TOKEN: WRITE_TOKEN, HF_ENDPOINT: server.url },
    });
    expect(await store.exists()).toBe(false);
    const attempts = [
      () => store.stat("k"),
      () => keys(store, "x"),
      () => store.write("k", bytes(Buffer.from("x"))),
    ];
    for (const attempt of attempts) {
      const error = await failure(attempt());
      expect(error.message).toContain(
        "bucket ns/never-created does not exist; create it with `neff-cache create ns/never-created`",
      );
      expect(error.exitCode).toBe(3);
      expect(everyText(error)).not.toContain(WRITE_TOKEN);
    }
  });

  it("names the endpoint when it cannot be reached", async () => {
    const store = createHfStore({
      namespace: "ns",
      name: "b",
      prefix: "",
      env: { HF_TOKEN: WRITE_TOKEN, HF_ENDPOINT: "http://127.0.0.1:9" },
      retry: { maxAttempts: 2, baseDelayMs: 1 },
    });
    const error = await failure(store.stat("k"));
    expect(error.message).toContain("http://127.0.0.1:9");
    expect(error.retryable).toBe(true);
    expect(everyText(error)).not.toContain(WRITE_TOKEN);
  });

  it("keeps the token out of errors raised inside the upload library", async () => {
    const store = await freshStore();
    server.faults.add({ route: "cas-shard", kind: "status", status: 400 });
    const error = await failure(store.write("k", bytes(randomBytes(1000))));
    expect(error.status).toBe(400);
    expect(everyText(error)).not.toContain(WRITE_TOKEN);
    expect(everyText(error)).not.toMatch(/xet-token|Bearer [^*]/);
  });
});

describe("hf store: writes", () => {
  it("uploads identical bytes once when a second path reuses them", async () => {
    const store = await freshStore();
    const data = randomBytes(200_000);
    await store.write("flat/MODULE_1/model.neff", bytes(data, true));
    const before = server.stats.uploads();
    await store.write("model/task/MODULE_1/model.neff", bytes(data, true));
    const after = server.stats.uploads();
    expect(after.xorbUploads).toBe(before.xorbUploads);
    expect(after.shardUploads).toBe(before.shardUploads);
    expect((await readAll(store, "model/task/MODULE_1/model.neff"))?.equals(data)).toBe(true);
  });

  it("uploads the content of one local file once for all its keys in writeMany", async () => {
    const store = await freshStore();
    const data = randomBytes(150_000);
    const file = join(tmp, "shared.bin");
    await writeFile(file, data);
    const source: WriteSource = { size: data.length, filePath: file, open: () => Readable.from([data]) };
    const before = server.stats.uploads();
    const results = requireWritten(
      await store.writeMany!([
        { key: "a/model.neff", source },
        { key: "b/model.neff", source },
      ]),
    );
    const after = server.stats.uploads();
    expect(after.xorbUploads - before.xorbUploads).toBe(1);
    expect(results[0]?.object.xetHash).toBe(results[1]?.object.xetHash);
    expect((await readAll(store, "b/model.neff"))?.equals(data)).toBe(true);
  });

  it("re-sends only the operations a batch reported as failed", async () => {
    const bodies: string[] = [];
    const observe: typeof fetch = async (input, init) => {
      if (String(input).endsWith("/batch") && typeof init?.body === "string") bodies.push(init.body);
      return fetch(input, init);
    };
    const store = await freshStore({ fetch: observe });
    server.faults.add({ route: "batch", kind: "batch-fail", paths: ["cache/k2"], times: 1 });
    await store.writeMany!(["k1", "k2", "k3"].map((key) => ({ key, source: bytes(Buffer.from(key)) })));
    expect(bodies).toHaveLength(2);
    expect(
      bodies[1]
        ?.trim()
        .split("\n")
        .map((line) => JSON.parse(line).path),
    ).toEqual(["cache/k2"]);
    expect(await keys(store, "")).toEqual(["file:k1", "file:k2", "file:k3"]);
  });

  it("reports the paths that still fail after the re-sends", async () => {
    const store = await freshStore();
    server.faults.add({ route: "batch", kind: "batch-fail", paths: ["cache/bad"], error: "quota" });
    const outcomes = await store.writeMany!(
      ["good", "bad"].map((key) => ({ key, source: bytes(Buffer.from(key)) })),
    );
    expect(outcomes[0]?.ok).toBe(true);
    const error = outcomes[1]?.ok === false ? (outcomes[1].error as StoreError) : null;
    if (error === null) throw new Error("the refused path reported success");
    expect(error.message).toContain("cannot write bad on hf://buckets");
    expect(error.message).toContain("(quota)");
    expect(error.retryable).toBe(true);
    expect(await keys(store, "")).toEqual(["file:good"]);
  });

  it("registers in calls of at most 1000 operations", async () => {
    const bodies: string[] = [];
    const observe: typeof fetch = async (input, init) => {
      if (String(input).endsWith("/batch") && typeof init?.body === "string") bodies.push(init.body);
      return fetch(input, init);
    };
    const store = await freshStore({ fetch: observe });
    const data = Buffer.from("same bytes everywhere");
    const items = Array.from({ length: 2100 }, (_, i) => ({
      key: `m/${String(i).padStart(4, "0")}`,
      source: bytes(data, true),
    }));
    await store.writeMany!(items);
    expect(bodies.map((body) => body.trim().split("\n").length)).toEqual([1000, 1000, 100]);
  });

  it("checks ifAbsent in paths-info calls of 1000 and deletes in batches of 1000", async () => {
    const store = await freshStore();
    const data = Buffer.from("same");
    const items = Array.from({ length: 1200 }, (_, i) => ({ key: `d/${i}`, source: bytes(data, true) }));
    await store.writeMany!(items.slice(0, 600));
    server.stats.reset();
    const results = requireWritten(await store.writeMany!(items, { ifAbsent: true }));
    expect(server.stats.requests("paths-info")).toBe(2);
    expect(results.filter((result) => result.created)).toHaveLength(600);
    server.stats.reset();
    await store.deleteMany!(items.map((item) => item.key));
    expect(server.stats.requests("batch")).toBe(2);
    expect(await keys(store, "d")).toEqual([]);
  });

  it("shares one upload and one registration among concurrent single writes", async () => {
    const store = await freshStore();
    server.stats.reset();
    const keysWritten = Array.from({ length: 40 }, (_, i) => `c/${i}`);
    await Promise.all(keysWritten.map((key) => store.write(key, bytes(Buffer.from(key)))));
    expect(server.stats.requests("batch")).toBe(1);
    expect(await keys(store, "c")).toHaveLength(40);
  });

  it("keeps an existing key with ifAbsent", async () => {
    const store = await freshStore();
    await store.write("k", bytes(Buffer.from("first")));
    const result = await store.write("k", bytes(Buffer.from("second")), { ifAbsent: true });
    expect(result.created).toBe(false);
    expect((await readAll(store, "k"))?.toString()).toBe("first");
  });

  it("survives dropped connections during upload and registration", async () => {
    const store = await freshStore();
    server.faults.add({ route: "cas-xorb", kind: "drop", times: 1 });
    server.faults.add({ route: "batch", kind: "drop", times: 1 });
    const data = randomBytes(50_000);
    await store.write("k", bytes(data));
    expect((await readAll(store, "k"))?.equals(data)).toBe(true);
  });

  it("streams a source without a file path", async () => {
    const store = await freshStore();
    const parts = Array.from({ length: 20 }, () => randomBytes(64 * 1024));
    const whole = Buffer.concat(parts);
    let progressed = 0;
    await store.write(
      "streamed",
      { size: whole.length, open: () => Readable.from(parts) },
      { onProgress: (event) => (progressed += event.bytes) },
    );
    expect(progressed).toBe(whole.length);
    expect((await readAll(store, "streamed"))?.equals(whole)).toBe(true);
  });

  it("writes and reads an empty file", async () => {
    const store = await freshStore();
    const result = await store.write("done", bytes(Buffer.alloc(0)));
    expect(result.object.size).toBe(0);
    expect((await readAll(store, "done"))?.length).toBe(0);
  });

  it("rejects an aborted write and registers nothing", async () => {
    const store = await freshStore();
    const controller = new AbortController();
    async function* slow(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 50; i++) {
        if (i === 3) controller.abort();
        yield randomBytes(64 * 1024);
      }
    }
    await expect(
      store.write(
        "k",
        { size: 50 * 64 * 1024, open: () => Readable.from(slow()) },
        { signal: controller.signal },
      ),
    ).rejects.toMatchObject({ name: "AbortError" });
    expect(await store.stat("k")).toBeNull();
  });
});

describe("hf store: retries", () => {
  it("waits as long as Retry-After asks on 429", async () => {
    const delays: number[] = [];
    const store = await freshStore({
      retry: { baseDelayMs: 1, maxDelayMs: 10, maxTotalMs: 20_000 },
      onRetry: (event) => delays.push(event.delayMs),
    });
    server.faults.add({ route: "paths-info", kind: "status", status: 429, retryAfter: 1, times: 1 });
    expect(await store.stat("missing")).toBeNull();
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThanOrEqual(1000);
  });

  it("retries 5xx answers and times out a silent server", async () => {
    const store = await freshStore({ timeoutMs: 300 });
    await store.write("k", bytes(Buffer.from("v")));
    server.faults.add({ route: "tree", kind: "status", status: 503, times: 2 });
    expect(await keys(store, "")).toEqual(["file:k"]);
    server.faults.add({ route: "resolve", kind: "delay", ms: 1000, times: 1 });
    expect((await readAll(store, "k"))?.toString()).toBe("v");
  });
});

describe("hf store: listing", () => {
  it("follows tree pagination to the end", async () => {
    const store = await freshStore({ listPageSize: 100 });
    const data = Buffer.from("x");
    const names = Array.from({ length: 450 }, (_, i) => `p/${String(i).padStart(3, "0")}`);
    await store.writeMany!(names.map((key) => ({ key, source: bytes(data, true) })));
    server.stats.reset();
    expect(await keys(store, "p")).toEqual(names.map((key) => `file:${key}`));
    expect(server.stats.requests("tree")).toBe(5);
  });

  it("never returns siblings of the prefix", async () => {
    const store = await freshStore();
    for (const key of ["a/x", "a/sub/y", "ab/z", "a-b"]) await store.write(key, bytes(Buffer.from(key)));
    expect(await keys(store, "a")).toEqual(["file:a/sub/y", "file:a/x"]);
    expect(await keys(store, "a", false)).toEqual(["dir:a/sub", "file:a/x"]);
    expect(await keys(store, "", false)).toEqual(["dir:a", "dir:ab", "file:a-b"]);
    expect(await keys(store, "a/s")).toEqual([]);
  });

  it("reports size and Xet hash of every file", async () => {
    const store = await freshStore();
    const written = await store.write("k", bytes(Buffer.from("hello")));
    const listed = [];
    for await (const item of store.list("")) listed.push(item);
    expect(listed).toEqual([
      expect.objectContaining({ type: "file", key: "k", size: 5, xetHash: written.object.xetHash }),
    ]);
    expect(written.object.xetHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("hf store: reads", () => {
  it("reads a range", async () => {
    const store = await freshStore();
    const data = randomBytes(300_000);
    await store.write("k", bytes(data));
    const body = await store.read("k", { range: { offset: 123_456, length: 1000 } });
    expect((await buffer(body!)).equals(data.subarray(123_456, 124_456))).toBe(true);
  });

  it("returns null for a missing key", async () => {
    const store = await freshStore();
    expect(await store.read("nope")).toBeNull();
    expect(await store.stat("nope")).toBeNull();
  });

  it("sends every Hub request through an injected fetch: listings, whole and ranged reads, misses", async () => {
    const seen: string[] = [];
    const observe: typeof fetch = async (input, init) => {
      const url = new URL(String(input));
      if (url.origin === server.url) seen.push(`${init?.method ?? "GET"} ${url.pathname}`);
      return fetch(input, init);
    };
    const store = await freshStore({ fetch: observe });
    const data = randomBytes(300_000);
    await store.write("dir/k", bytes(data));
    seen.length = 0;
    expect(await keys(store, "dir")).toEqual(["file:dir/k"]);
    expect((await readAll(store, "dir/k"))?.equals(data)).toBe(true);
    const body = await store.read("dir/k", { range: { offset: 1000, length: 10 } });
    expect((await buffer(body!)).equals(data.subarray(1000, 1010))).toBe(true);
    expect(await store.read("dir/nope")).toBeNull();
    expect(seen).toEqual([
      "GET /api/buckets/ns/bucket-" + bucketCount + "/tree/cache/dir",
      ...Array.from(
        { length: 3 },
        (_, i) => `GET /buckets/ns/bucket-${bucketCount}/resolve/cache/dir/${i < 2 ? "k" : "nope"}`,
      ),
    ]);
  });

  it("copies inside the bucket without uploading", async () => {
    const store = await freshStore();
    const data = randomBytes(10_000);
    await store.write("from", bytes(data));
    const before = server.stats.uploads();
    const copied = await store.copy!("from", "to");
    expect(server.stats.uploads()).toEqual(before);
    expect(copied?.size).toBe(data.length);
    expect((await readAll(store, "to"))?.equals(data)).toBe(true);
    expect(await store.copy!("absent", "x")).toBeNull();
  });
});
