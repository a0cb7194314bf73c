import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  copyFile,
  createRepo,
  deleteFile,
  deleteFiles,
  deleteRepo,
  downloadFile,
  fileExists,
  listFiles,
  pathsInfo,
  uploadFiles,
} from "@huggingface/hub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHubServer } from "./start-hub-server.ts";
import type { HubServer } from "./start-hub-server.ts";

const WRITE = "hf_write_token";
const READ = "hf_read_token";
const OTHER = "hf_other_namespace";
const TOKENS = [
  { token: WRITE, scope: "write" as const },
  { token: READ, scope: "read" as const },
  { token: OTHER, scope: "write" as const, namespaces: ["other"] },
];
const MiB = 1024 * 1024;

const bucketRepo = (name: string): { type: "bucket"; name: string } => ({
  type: "bucket",
  name: `ns/${name}`,
});
const sha256 = (bytes: Uint8Array): string => createHash("sha256").update(bytes).digest("hex");

describe("hub server through @huggingface/hub", () => {
  let server: HubServer;
  let common: { hubUrl: string; accessToken: string };
  const call = (path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> => {
    const headers = new Headers(init.headers);
    const token = init.token === undefined ? WRITE : init.token;
    if (token !== null) headers.set("Authorization", `Bearer ${token}`);
    return fetch(`${server.url}${path}`, { ...init, headers });
  };
  const download = async (name: string, path: string): Promise<Buffer | null> => {
    const blob = await downloadFile({ ...common, repo: bucketRepo(name), path });
    return blob === null ? null : Buffer.from(await blob.arrayBuffer());
  };
  const addPaths = async (name: string, lines: object[]): Promise<Response> =>
    call(`/api/buckets/ns/${name}/batch`, {
      method: "POST",
      headers: { "Content-Type": "application/x-ndjson" },
      body: lines.map((l) => JSON.stringify(l)).join("\n"),
    });

  beforeAll(async () => {
    server = await startHubServer({ tokens: TOKENS, seed: 42 });
    common = { hubUrl: server.url, accessToken: WRITE };
  });
  afterAll(async () => {
    await server.close();
  });

  it("uploads and downloads files of 0 B, 1 B, 64 KiB and 10 MiB byte-identically", async () => {
    const repo = bucketRepo("sizes");
    await createRepo({ ...common, repo });
    const files = new Map<string, Buffer>([
      ["empty.bin", Buffer.alloc(0)],
      ["one.bin", Buffer.from([7])],
      ["dir/64k.bin", randomBytes(64 * 1024)],
      ["dir/sub/10m.bin", randomBytes(10 * MiB)],
    ]);
    await uploadFiles({
      ...common,
      repo,
      files: [...files].map(([path, bytes]) => ({ path, content: new Blob([bytes]) })),
    });
    for (const [path, bytes] of files) {
      const got = await download("sizes", path);
      expect(got?.length).toBe(bytes.length);
      expect(sha256(got ?? Buffer.alloc(0))).toBe(sha256(bytes));
    }
    const big = files.get("dir/sub/10m.bin") as Buffer;
    const blob = await downloadFile({ ...common, repo, path: "dir/sub/10m.bin" });
    const slice = Buffer.from(await (blob as Blob).slice(3 * MiB + 17, 7 * MiB + 5).arrayBuffer());
    expect(slice.equals(big.subarray(3 * MiB + 17, 7 * MiB + 5))).toBe(true);
  });

  it(
    "uploads and downloads a 100 MiB file byte-identically and re-uploads it for free",
    { timeout: 300_000 },
    async () => {
      const repo = bucketRepo("large");
      await createRepo({ ...common, repo });
      const bytes = randomBytes(100 * MiB);
      await uploadFiles({ ...common, repo, files: [{ path: "large.bin", content: new Blob([bytes]) }] });
      const got = await download("large", "large.bin");
      expect(got?.length).toBe(bytes.length);
      expect(sha256(got ?? Buffer.alloc(0))).toBe(sha256(bytes));

      // The file spans two xorbs; one dedup query must cover both, so nothing is sent again.
      const before = server.stats.uploads();
      await uploadFiles({ ...common, repo, files: [{ path: "copy.bin", content: new Blob([bytes]) }] });
      expect(server.stats.uploads().xorbUploads).toBe(before.xorbUploads);
      expect(server.stats.uploads().xorbBytesInserted).toBe(before.xorbBytesInserted);
    },
  );

  it("stores no new xorb when the same content is uploaded again", async () => {
    const repo = bucketRepo("dedup");
    await createRepo({ ...common, repo });
    const bytes = randomBytes(3 * MiB);
    await uploadFiles({ ...common, repo, files: [{ path: "first.bin", content: new Blob([bytes]) }] });
    const before = server.stats.uploads();
    const stored = server.stats.storage();
    await uploadFiles({ ...common, repo, files: [{ path: "again/second.bin", content: new Blob([bytes]) }] });
    const after = server.stats.uploads();
    expect(after.xorbsInserted).toBe(before.xorbsInserted);
    expect(server.stats.storage().xorbBytes).toBe(stored.xorbBytes);
    expect(after.xorbUploads).toBe(before.xorbUploads);
    expect(after.dedupHits).toBeGreaterThan(before.dedupHits);
    expect((await download("dedup", "again/second.bin"))?.equals(bytes)).toBe(true);
  });

  it("pages tree listings through the Link header", async () => {
    const repo = bucketRepo("many");
    await createRepo({ ...common, repo });
    await uploadFiles({ ...common, repo, files: [{ path: "seed.txt", content: new Blob(["same bytes"]) }] });
    const [seed] = await pathsInfo({ ...common, repo, paths: ["seed.txt"] });
    const lines = Array.from({ length: 1200 }, (_, i) => ({
      type: "addFile",
      path: `files/f${String(i).padStart(4, "0")}.txt`,
      xetHash: seed?.xetHash,
    }));
    const response = await addPaths("many", lines);
    expect(await response.json()).toEqual({ success: true, processed: 1200, succeeded: 1200, failed: [] });

    const viaClient: string[] = [];
    for await (const entry of listFiles({ ...common, repo, path: "files", recursive: true }))
      viaClient.push(entry.path);
    expect(viaClient).toHaveLength(1200);

    const seen: string[] = [];
    let next: string | null = `${server.url}/api/buckets/ns/many/tree/files?recursive=true&limit=97`;
    let pages = 0;
    while (next !== null) {
      const page: Response = await fetch(next, { headers: { Authorization: `Bearer ${READ}` } });
      expect(page.status).toBe(200);
      seen.push(...((await page.json()) as { path: string }[]).map((e) => e.path));
      next = /<([^>]+)>;\s*rel="next"/.exec(page.headers.get("link") ?? "")?.[1] ?? null;
      pages += 1;
    }
    expect(pages).toBe(Math.ceil(1200 / 97));
    expect(seen).toEqual(lines.map((l) => l.path));
    expect(server.stats.requests("tree")).toBeGreaterThanOrEqual(pages + 2);
  });

  it("matches tree prefixes as raw strings, like the real service", async () => {
    const repo = bucketRepo("prefix");
    await createRepo({ ...common, repo });
    const files = ["a/1.txt", "a/deep/2.txt", "ab/3.txt", "abc.txt", "b.txt"].map((path) => ({
      path,
      content: new Blob([path]),
    }));
    await uploadFiles({ ...common, repo, files });
    const list = async (path: string, recursive: boolean): Promise<string[]> => {
      const out: string[] = [];
      for await (const entry of listFiles({ ...common, repo, path, recursive }))
        out.push(`${entry.type}:${entry.path}`);
      return out;
    };
    expect(await list("a", true)).toEqual([
      "file:a/1.txt",
      "file:a/deep/2.txt",
      "file:ab/3.txt",
      "file:abc.txt",
    ]);
    expect(await list("a/", true)).toEqual(["file:a/1.txt", "file:a/deep/2.txt"]);
    expect(await list("a", false)).toEqual([
      "file:a/1.txt",
      "directory:a/deep",
      "directory:ab",
      "file:abc.txt",
    ]);
    expect(await list("", false)).toEqual(["directory:a", "directory:ab", "file:abc.txt", "file:b.txt"]);
    const omitted = await call("/api/buckets/ns/prefix/tree");
    expect(((await omitted.json()) as { type: string }[]).map((e) => e.type)).toEqual(Array(5).fill("file"));
    const encoded = await call("/api/buckets/ns/prefix/tree/a%2Fdeep?recursive=true");
    expect(((await encoded.json()) as { path: string }[]).map((e) => e.path)).toEqual(["a/deep/2.txt"]);
  });

  it("answers paths-info, resolve, copies and deletes", async () => {
    const repo = bucketRepo("ops");
    await createRepo({ ...common, repo });
    const bytes = randomBytes(200 * 1024);
    await uploadFiles({ ...common, repo, files: [{ path: "x/data.bin", content: new Blob([bytes]) }] });
    const info = await pathsInfo({ ...common, repo, paths: ["x/data.bin", "missing"] });
    expect(info.map((e) => [e.path, e.size, e.type])).toEqual([["x/data.bin", bytes.length, "file"]]);
    expect(await fileExists({ ...common, repo, path: "x/data.bin" })).toBe(true);
    expect(await fileExists({ ...common, repo, path: "nope" })).toBe(false);

    const head = await call("/buckets/ns/ops/resolve/x/data.bin", { method: "HEAD" });
    expect(head.headers.get("x-xet-hash")).toBe(info[0]?.xetHash);
    expect(head.headers.get("x-linked-size")).toBe(String(bytes.length));
    const ranged = await call("/buckets/ns/ops/resolve/x/data.bin", {
      headers: { Range: "bytes=1000-99999" },
    });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("content-range")).toBe(`bytes 1000-99999/${bytes.length}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(1000, 100000))).toBe(true);
    const whole = await call("/buckets/ns/ops/resolve/x/data.bin");
    expect(Buffer.from(await whole.arrayBuffer()).equals(bytes)).toBe(true);
    const missing = await call("/buckets/ns/ops/resolve/nope");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("x-error-code")).toBe("EntryNotFound");
    expect(await download("ops", "nope")).toBeNull();

    await copyFile({
      ...common,
      source: { repo, path: "x/data.bin" },
      destination: { repo, path: "copy/data.bin" },
    });
    expect((await download("ops", "copy/data.bin"))?.equals(bytes)).toBe(true);

    await deleteFile({ ...common, repo, path: "x/data.bin" });
    expect(await download("ops", "x/data.bin")).toBeNull();
    await deleteFiles({ ...common, repo, paths: ["copy/data.bin", "never/existed"] });
    const bucket = (await (await call("/api/buckets/ns/ops")).json()) as { totalFiles: number; size: number };
    expect(bucket).toMatchObject({ id: "ns/ops", totalFiles: 0, size: 0 });
    await deleteRepo({ ...common, repo });
    expect((await call("/api/buckets/ns/ops")).status).toBe(404);
  });

  it("applies batches operation by operation, adds before deletes", async () => {
    await createRepo({ ...common, repo: bucketRepo("batch") });
    await uploadFiles({
      ...common,
      repo: bucketRepo("batch"),
      files: [{ path: "old", content: new Blob(["v"]) }],
    });
    const [old] = await pathsInfo({ ...common, repo: bucketRepo("batch"), paths: ["old"] });
    const response = await addPaths("batch", [
      { type: "deleteFile", path: "old" },
      { type: "addFile", path: "new", xetHash: old?.xetHash, mtime: 1_700_000_000_000 },
      { type: "addFile", path: "bad", xetHash: "ab".repeat(32) },
      { type: "addFile", path: "/abs", xetHash: old?.xetHash },
    ]);
    expect(response.status).toBe(200);
    const report = (await response.json()) as {
      success: boolean;
      processed: number;
      succeeded: number;
      failed: { path: string }[];
    };
    expect(report).toMatchObject({ success: false, processed: 4, succeeded: 2 });
    expect(report.failed.map((f) => f.path).sort()).toEqual(["/abs", "bad"]);
    const info = await pathsInfo({ ...common, repo: bucketRepo("batch"), paths: ["old", "new"] });
    expect(info.map((e) => e.path)).toEqual(["new"]);
    const tree = (await (await call("/api/buckets/ns/batch/tree")).json()) as { mtime: string }[];
    expect(tree[0]?.mtime).toBe(new Date(1_700_000_000_000).toISOString());
    expect((await call("/api/buckets/ns/batch/batch", { method: "POST", body: "{not json" })).status).toBe(
      400,
    );
  });

  it("reports injected per-path batch failures in a 200 answer", async () => {
    const repo = bucketRepo("flaky");
    await createRepo({ ...common, repo });
    server.faults.add({ route: "batch", kind: "batch-fail", paths: ["b.txt"], times: 1 });
    const files = [
      { path: "a.txt", content: new Blob(["a"]) },
      { path: "b.txt", content: new Blob(["b"]) },
    ];
    await expect(uploadFiles({ ...common, repo, files })).rejects.toThrow(/Failed to upload 1 file/);
    expect((await pathsInfo({ ...common, repo, paths: ["a.txt", "b.txt"] })).map((e) => e.path)).toEqual([
      "a.txt",
    ]);
    await uploadFiles({ ...common, repo, files: [files[1] as { path: string; content: Blob }] });
    expect((await download("flaky", "b.txt"))?.toString()).toBe("b");
    server.faults.clear();
  });

  it("enforces Hub tokens: 401, 403 and 404", async () => {
    await createRepo({ ...common, repo: bucketRepo("auth") });
    expect((await call("/api/buckets/ns/auth", { token: null })).status).toBe(401);
    expect((await call("/api/buckets/ns/auth", { token: "hf_unknown" })).status).toBe(401);
    expect((await call("/api/buckets/ns/auth/tree", { token: null })).status).toBe(401);
    expect((await call("/api/buckets/ns/auth", { token: READ })).status).toBe(200);
    expect((await call("/api/buckets/ns/auth/xet-write-token", { token: READ })).status).toBe(403);
    expect((await call("/api/buckets/ns/auth/xet-read-token", { token: READ })).status).toBe(200);
    expect((await addPaths("auth", [])).status).toBe(200);
    const readBatch = await call("/api/buckets/ns/auth/batch", { method: "POST", body: "", token: READ });
    expect(readBatch.status).toBe(403);
    expect((await call("/api/buckets/ns/auth", { method: "DELETE", token: READ })).status).toBe(403);
    expect((await call("/api/buckets/ns/new-one", { method: "POST", body: "{}", token: READ })).status).toBe(
      403,
    );
    const unknown = await call("/api/buckets/ns/does-not-exist/tree", { token: READ });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("x-error-code")).toBe("RepoNotFound");
    expect((await call("/api/buckets/ns/auth", { token: OTHER })).status).toBe(404);
    expect((await call("/api/buckets/ns/theirs", { method: "POST", body: "{}", token: OTHER })).status).toBe(
      403,
    );
    expect((await call("/api/buckets/other/mine", { method: "POST", body: "{}", token: OTHER })).status).toBe(
      200,
    );
    expect((await call("/api/buckets/me/mine", { method: "POST", body: "{}", token: OTHER })).status).toBe(
      409,
    );
    const again = await call("/api/buckets/ns/auth", { method: "POST", body: "{}" });
    expect(again.status).toBe(409);
    // As on the real Hub, the conflict names the existing bucket's url (create_bucket(exist_ok=True) reads it).
    expect(await again.json()).toEqual({
      error: "You already created this bucket: ns/auth",
      url: `${server.url}/buckets/ns/auth`,
    });
    await expect(
      uploadFiles({
        ...common,
        accessToken: READ,
        repo: bucketRepo("auth"),
        files: [{ path: "f", content: new Blob(["f"]) }],
      }),
    ).rejects.toThrow();
  });

  it("accepts only CAS tokens at the CAS, and writes only with write tokens", async () => {
    await createRepo({ ...common, repo: bucketRepo("cas") });
    const token = async (kind: "read" | "write"): Promise<string> =>
      ((await (await call(`/api/buckets/ns/cas/xet-${kind}-token`)).json()) as { accessToken: string })
        .accessToken;
    const xorb = Uint8Array.from([0, 2, 0, 0, 0, 2, 0, 0, 104, 105]);
    const post = (bearer: string | null, hash = "0".repeat(64)): Promise<Response> =>
      fetch(`${server.url}/v1/xorbs/default/${hash}`, {
        method: "POST",
        body: xorb,
        headers: bearer === null ? {} : { Authorization: `Bearer ${bearer}` },
      });
    expect((await post(null)).status).toBe(401);
    expect((await post(WRITE)).status).toBe(401);
    expect((await post(await token("read"))).status).toBe(403);
    const writeToken = await token("write");
    const mismatch = await post(writeToken);
    expect(mismatch.status).toBe(400);
    expect(((await mismatch.json()) as { error: string }).error).toMatch(/hash mismatch/);
    const reconstruction = await fetch(`${server.url}/v2/reconstructions/${"1".repeat(64)}`, {
      headers: { Authorization: `Bearer ${WRITE}` },
    });
    expect(reconstruction.status).toBe(401);
    const unknownFile = await fetch(`${server.url}/v2/reconstructions/${"1".repeat(64)}`, {
      headers: { Authorization: `Bearer ${writeToken}` },
    });
    expect(unknownFile.status).toBe(404);
    const unsigned = await fetch(
      `${server.url}/transfer/xorbs/${"1".repeat(64)}?range=0-10&expires=9999999999&sig=00`,
    );
    expect(unsigned.status).toBe(403);
  });

  it("serves v1 and v2 reconstructions whose transfer URLs rebuild the file", async () => {
    const repo = bucketRepo("recon");
    await createRepo({ ...common, repo });
    const bytes = randomBytes(400 * 1024);
    await uploadFiles({ ...common, repo, files: [{ path: "r.bin", content: new Blob([bytes]) }] });
    const [entry] = await pathsInfo({ ...common, repo, paths: ["r.bin"] });
    const { accessToken } = (await (
      await call("/api/buckets/ns/recon/xet-read-token", { token: READ })
    ).json()) as {
      accessToken: string;
    };
    const cas = { Authorization: `Bearer ${accessToken}` };
    const head = await fetch(`${server.url}/v1/files/${entry?.xetHash}`, { method: "HEAD", headers: cas });
    expect(head.headers.get("content-length")).toBe(String(bytes.length));
    const v1 = (await (
      await fetch(`${server.url}/v1/reconstructions/${entry?.xetHash}`, { headers: cas })
    ).json()) as {
      terms: { hash: string; unpacked_length: number }[];
      fetch_info: Record<string, { url: string; url_range: { start: number; end: number } }[]>;
    };
    expect(v1.terms.reduce((sum, t) => sum + t.unpacked_length, 0)).toBe(bytes.length);
    const [fetchInfo] = Object.values(v1.fetch_info)[0] ?? [];
    const part = await fetch(fetchInfo?.url ?? "", {
      headers: { Range: `bytes=${fetchInfo?.url_range.start}-${fetchInfo?.url_range.end}` },
    });
    expect(part.status).toBe(206);
    expect((await part.arrayBuffer()).byteLength).toBe(
      (fetchInfo?.url_range.end ?? 0) - (fetchInfo?.url_range.start ?? 0) + 1,
    );
    const tampered = (fetchInfo?.url ?? "").replace(/range=\d+-/, "range=1-");
    expect((await fetch(tampered)).status).toBe(403);
    const tooFar = await fetch(`${server.url}/v2/reconstructions/${entry?.xetHash}`, {
      headers: { ...cas, Range: `bytes=${bytes.length}-` },
    });
    expect(tooFar.status).toBe(416);
  });

  it("injects 429 with Retry-After, 5xx, delays and dropped connections, and counts them", async () => {
    await createRepo({ ...common, repo: bucketRepo("faults") });
    server.stats.reset();
    server.faults.add({ route: "tree", kind: "status", status: 429, retryAfter: 7, times: 1 });
    server.faults.add({ route: "paths-info", kind: "status", status: 503, times: 1 });
    server.faults.add({ route: "bucket-info", kind: "status", status: 500, times: 1 });
    server.faults.add({ route: "resolve", kind: "drop", times: 1 });
    server.faults.add({ route: "bucket-list", kind: "delay", ms: 50, times: 1 });

    const limited = await call("/api/buckets/ns/faults/tree");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("7");
    expect(limited.headers.get("ratelimit")).toBe('"api";r=0;t=7');
    expect((await call("/api/buckets/ns/faults/tree")).status).toBe(200);
    expect(
      (await call("/api/buckets/ns/faults/paths-info", { method: "POST", body: '{"paths":[]}' })).status,
    ).toBe(503);
    expect((await call("/api/buckets/ns/faults")).status).toBe(500);
    await expect(call("/buckets/ns/faults/resolve/anything")).rejects.toThrow();
    expect((await call("/api/buckets/ns")).status).toBe(200);

    server.faults.add({ route: "batch", kind: "status", status: 503, times: 1 });
    const bigBody = await call("/api/buckets/ns/faults/batch", {
      method: "POST",
      body: Buffer.alloc(4 * MiB, 10),
    });
    expect(bigBody.status).toBe(503);
    server.faults.add({ route: "cas-xorb", kind: "status", status: 500, times: 1 });
    const files = [{ path: "f.bin", content: new Blob([randomBytes(1000)]) }];
    await expect(uploadFiles({ ...common, repo: bucketRepo("faults"), files })).rejects.toThrow(/500/);

    expect(server.faults.injected()).toBeGreaterThanOrEqual(7);
    expect(server.stats.requests("tree")).toBe(2);
    const faulted = server.stats.log().filter((entry) => entry.fault !== undefined);
    expect(faulted.map((e) => [e.route, e.fault, e.status])).toEqual([
      ["tree", "status", 429],
      ["paths-info", "status", 503],
      ["bucket-info", "status", 500],
      ["resolve", "drop", 0],
      ["bucket-list", "delay", 200],
      ["batch", "status", 503],
      ["cas-xorb", "status", 500],
    ]);
    server.faults.clear();
  });
});

describe("hub server persistence", () => {
  it("serves uploaded files again after a restart on the same data directory", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "hub-server-"));
    try {
      const bytes = randomBytes(512 * 1024);
      const first = await startHubServer({ tokens: TOKENS, dataDir });
      const repo = bucketRepo("kept");
      await createRepo({ hubUrl: first.url, accessToken: WRITE, repo });
      await uploadFiles({
        hubUrl: first.url,
        accessToken: WRITE,
        repo,
        files: [{ path: "k.bin", content: new Blob([bytes]) }],
      });
      await first.close();

      const second = await startHubServer({ tokens: TOKENS, dataDir });
      try {
        const blob = await downloadFile({ hubUrl: second.url, accessToken: WRITE, repo, path: "k.bin" });
        expect(Buffer.from(await (blob as Blob).arrayBuffer()).equals(bytes)).toBe(true);
        expect(second.stats.storage()).toMatchObject({ buckets: 1, files: 1 });
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
