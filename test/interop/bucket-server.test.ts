import { spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startBucketServer } from "../../src/interop/bucket-server.ts";
import type { BucketServer } from "../../src/interop/bucket-server.ts";
import { exportRecordBody, exportRecordHash } from "../../src/layout/export-record.ts";
import { createDirStore } from "../../src/store/dir/dir-store.ts";

// A client written the way optimum-neuron's bucket_cache talks to bucket_server.py: one
// connection per call, struct ">I" length prefix, json.dumps bodies. "fetch" replays its
// fetch_cache: list the per-model prefix, keep MODULE_ dirs, list each recursively, download
// every file flattened to its basename.
const CLIENT = String.raw`
import json, os, socket, struct, sys

SOCKET = sys.argv[1]

def recv_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data

def exchange(sock, request):
    payload = json.dumps(request).encode()
    sock.sendall(struct.pack(">I", len(payload)) + payload)
    (length,) = struct.unpack(">I", recv_exact(sock, 4))
    return recv_exact(sock, length).decode()

def call(request):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(SOCKET)
        return exchange(sock, request)

def fetch(bucket_id, prefix, cache_dir, cv):
    listing = json.loads(call({"method": "list_bucket_tree", "params": {"bucket_id": bucket_id, "prefix": prefix, "recursive": False}}))
    files = []
    for item in listing["items"]:
        name = os.path.basename(item["path"])
        if item["type"] != "directory" or not name.startswith("MODULE_"):
            continue
        tree = json.loads(call({"method": "list_bucket_tree", "params": {"bucket_id": bucket_id, "prefix": item["path"], "recursive": True}}))
        for f in tree["items"]:
            if f["type"] == "file":
                files.append([f["path"], os.path.join(cache_dir, "neuronxcc-" + cv, name, os.path.basename(f["path"]))])
    return call({"method": "download_bucket_files", "params": {"bucket_id": bucket_id, "files": files}})

out = []
for step in json.load(sys.stdin):
    if "call" in step:
        out.append(call(step["call"]))
    elif "multi" in step:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(SOCKET)
            out.append([exchange(sock, request) for request in step["multi"]])
    elif "raw" in step:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(SOCKET)
            sock.sendall(bytes.fromhex(step["raw"]))
        out.append(None)
    elif "oversize" in step:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(SOCKET)
            sock.sendall(struct.pack(">I", step["oversize"]))
            (length,) = struct.unpack(">I", recv_exact(sock, 4))
            response = recv_exact(sock, length).decode()
            out.append([response, sock.recv(1) == b""])
    elif "fetch" in step:
        out.append(fetch(**step["fetch"]))
json.dump(out, sys.stdout)
`;

const BUCKET = "test-org/neff-cache";
const CV = "0.0.0+test1a2b3c4d";
const MODULE = "MODULE_TEST1+HASH1";
const FLAT = `neuronxcc-${CV}/${MODULE}`;
const TASK_PREFIX = `neuronxcc-${CV}/test-org/test-model/feature-extraction`;
const CONFIG = {
  batch_size: 1,
  sequence_length: 4096,
  tp_degree: 8,
  torch_dtype: "bfloat16",
  on_device_sampling: true,
};
const RECORD = `${TASK_PREFIX}/exports/0.4.6.dev4/${exportRecordHash(CONFIG)}.json`;

let dir: string;
let storeRoot: string;
let server: BucketServer;
let opened: string[];
let abort: AbortController;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "bucket-server-"));
  storeRoot = join(dir, "store");
  // The bucket exists, as a Hub bucket must before optimum-neuron uses it.
  await mkdir(join(storeRoot, "test-org--neff-cache"), { recursive: true });
  opened = [];
  abort = new AbortController();
  server = await startBucketServer({
    socketPath: join(dir, "bucket.sock"),
    signal: abort.signal,
    openStore: async (reference) => {
      opened.push(reference);
      return createDirStore({ root: join(storeRoot, reference.replace("/", "--")) });
    },
  });
});

afterEach(async () => {
  abort.abort();
  await server.closed;
  await rm(dir, { recursive: true, force: true });
});

function runClient(steps: unknown[]): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", ["-c", CLIENT, server.socketPath], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`python client failed (${code}): ${stderr}`));
      else resolve(JSON.parse(stdout) as unknown[]);
    });
    child.stdin.end(JSON.stringify(steps));
  });
}

const call = (method: string, params: Record<string, unknown> = {}) => ({ call: { method, params } });

describe("bucket server (integration)", () => {
  it("serves optimum-neuron's sync, listing, fetch and cleanup calls from a directory store", async () => {
    const local = join(dir, "local");
    await mkdir(local);
    await writeFile(join(local, "model.neff"), "fake neff content");
    await writeFile(join(local, "model.done"), "");
    const add = [
      [join(local, "model.neff"), `${FLAT}/model.neff`],
      [join(local, "model.neff"), `${TASK_PREFIX}/${MODULE}/model.neff`],
      [join(local, "model.done"), `${FLAT}/model.done`],
      [join(local, "model.done"), `${TASK_PREFIX}/${MODULE}/model.done`],
    ];
    const cache = join(dir, "cache");

    const [ping, added, record, tree, moduleTree, missing, fetched] = await runClient([
      call("ping"),
      call("batch_bucket_files", { bucket_id: BUCKET, add }),
      call("batch_bucket_files", { bucket_id: BUCKET, add: [["bytes:" + exportRecordBody(CONFIG), RECORD]] }),
      call("list_bucket_tree", { bucket_id: BUCKET, prefix: TASK_PREFIX, recursive: false }),
      call("list_bucket_tree", { bucket_id: BUCKET, prefix: `${TASK_PREFIX}/${MODULE}`, recursive: true }),
      call("list_bucket_tree", { bucket_id: BUCKET, prefix: `neuronxcc-0.0.0+nonexistent/nonexistent` }),
      { fetch: { bucket_id: BUCKET, prefix: TASK_PREFIX, cache_dir: cache, cv: CV } },
    ]);

    // Byte-exact Python spacing on the wire.
    expect(ping).toBe('{"status": "ok"}');
    expect(added).toBe('{"added": 4, "deleted": 0}');
    expect(record).toBe('{"added": 1, "deleted": 0}');
    expect(JSON.parse(tree as string)).toEqual({
      items: [
        { path: `${TASK_PREFIX}/${MODULE}`, type: "directory" },
        { path: `${TASK_PREFIX}/exports`, type: "directory" },
      ],
    });
    expect(moduleTree).toBe(
      `{"items": [{"path": "${TASK_PREFIX}/${MODULE}/model.done", "type": "file", "size": 0}, ` +
        `{"path": "${TASK_PREFIX}/${MODULE}/model.neff", "type": "file", "size": 17}]}`,
    );
    expect(missing).toBe('{"items": []}');
    expect(fetched).toBe('{"downloaded": 2}');

    const bucketDir = join(storeRoot, "test-org--neff-cache");
    expect(await readFile(join(bucketDir, FLAT, "model.neff"), "utf8")).toBe("fake neff content");
    expect(await readFile(join(bucketDir, RECORD), "utf8")).toBe(exportRecordBody(CONFIG));
    expect(await readFile(join(cache, `neuronxcc-${CV}`, MODULE, "model.neff"), "utf8")).toBe(
      "fake neff content",
    );
    expect((await stat(join(cache, `neuronxcc-${CV}`, MODULE, "model.done"))).size).toBe(0);
    // One store per bucket id, opened once.
    expect(opened).toEqual([BUCKET]);

    const [deleted, afterDelete] = await runClient([
      call("batch_bucket_files", { bucket_id: BUCKET, delete: [`${FLAT}/model.neff`, `${FLAT}/absent`] }),
      call("list_bucket_tree", { bucket_id: BUCKET, prefix: FLAT, recursive: true }),
    ]);
    expect(deleted).toBe('{"added": 0, "deleted": 2}');
    expect(JSON.parse(afterDelete as string)).toEqual({
      items: [{ path: `${FLAT}/model.done`, type: "file", size: 0 }],
    });
  });

  it("answers several requests on one connection in order", async () => {
    const [responses] = await runClient([
      { multi: [{ method: "ping" }, { method: "nope", params: {} }, { method: "ping", params: {} }] },
    ]);
    expect(responses).toEqual(['{"status": "ok"}', '{"error": "Unknown method: nope"}', '{"status": "ok"}']);
  });

  it("reports bad input as errors and keeps serving", async () => {
    const [hostile, noSource, badParams, , pingAfter, noBucket] = await runClient([
      call("batch_bucket_files", { bucket_id: BUCKET, add: [["bytes:x", "../escape"]] }),
      call("batch_bucket_files", {
        bucket_id: BUCKET,
        add: [[join(dir, "nope.neff"), `${FLAT}/model.neff`]],
      }),
      call("download_bucket_files", { bucket_id: BUCKET }),
      { raw: "0000" },
      call("ping"),
      call("list_bucket_tree", { bucket_id: "other-org/missing", prefix: "neuronxcc-1" }),
    ]);
    expect(JSON.parse(hostile as string).error).toMatch(/^UsageError: Invalid bucket path "\.\.\/escape"/);
    expect(JSON.parse(noSource as string).error).toBe(
      `FileNotFoundError: [Errno 2] No such file or directory: '${join(dir, "nope.neff")}'`,
    );
    expect(JSON.parse(badParams as string).error).toBe(
      "TypeError: download_bucket_files() missing 1 required positional argument: 'files'",
    );
    expect(pingAfter).toBe('{"status": "ok"}');
    expect(JSON.parse(noBucket as string).error).toMatch(/^NotFoundError: .*does not exist/);
    await expect(stat(join(storeRoot, "escape"))).rejects.toThrow(/ENOENT/);
  });

  it("refuses an oversized request with an error and closes the connection", async () => {
    const [[response, closed]] = (await runClient([{ oversize: 0x7fffffff }, call("ping")])) as [
      [string, boolean],
    ];
    expect(JSON.parse(response).error).toBe(
      "ValueError: a request of 2147483647 bytes exceeds the limit of 67108864 bytes",
    );
    expect(closed).toBe(true);
  });

  it("skips a missing remote file on download, as huggingface_hub does by default", async () => {
    const target = join(dir, "out", "x.neff");
    const [response] = await runClient([
      call("download_bucket_files", { bucket_id: BUCKET, files: [[`${FLAT}/absent`, target]] }),
    ]);
    expect(response).toBe('{"downloaded": 1}');
    await expect(stat(target)).rejects.toThrow(/ENOENT/);
  });

  it("makes the socket owner-only and removes it when aborted", async () => {
    expect((await stat(server.socketPath)).mode & 0o777).toBe(0o600);
    abort.abort();
    await server.closed;
    await expect(stat(server.socketPath)).rejects.toThrow(/ENOENT/);
    await expect(
      new Promise((resolve, reject) => connect(server.socketPath).on("connect", resolve).on("error", reject)),
    ).rejects.toThrow(/ENOENT|ECONNREFUSED/);
  });

  it("replaces a stale socket but refuses to remove a regular file", async () => {
    abort.abort();
    await server.closed;
    const file = join(dir, "not-a-socket");
    await writeFile(file, "keep me");
    await expect(
      startBucketServer({ socketPath: file, openStore: async () => createDirStore({ root: storeRoot }) }),
    ).rejects.toThrow(/not a socket/);
    expect(await readFile(file, "utf8")).toBe("keep me");

    // A socket left behind by a killed server (bound, never unlinked) is replaced.
    const stale = join(dir, "stale.sock");
    const python = spawn("python3", [
      "-c",
      "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])",
      stale,
    ]);
    await new Promise((resolve) => python.on("close", resolve));
    expect((await stat(stale)).isSocket()).toBe(true);
    const replacement = await startBucketServer({
      socketPath: stale,
      openStore: async () => createDirStore({ root: storeRoot }),
    });
    server = replacement;
    const [pong] = await runClient([call("ping")]);
    expect(pong).toBe('{"status": "ok"}');
    await replacement.close();
  });
});
