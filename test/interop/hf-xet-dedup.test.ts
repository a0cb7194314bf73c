/**
 * neff-cache and the reference client (hf_xet 1.6.0) chunk and hash the same bytes the same way: a file
 * written by either side has one `xetHash`, and the second upload of the same bytes, by either side,
 * sends no xorb: each finds the first one's xorbs through the CAS's global-dedup query. Without that, an
 * entry optimum-neuron published and the same entry neff-cache published share nothing.
 */
import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createHfStore } from "../../src/store/hf/hf-store.ts";
import type { Store } from "../../src/store/store.ts";
import type { HubServer } from "../../tools/hub-server/start-hub-server.ts";
import { startHubServer } from "../../tools/hub-server/start-hub-server.ts";
import { describeWithPython } from "../support/python-test-env.ts";
import type { PythonTestEnv } from "../support/python-test-env.ts";

const TOKEN = "hf_xet_dedup_write_0123456789";
const execFileAsync = promisify(execFile);

// Sizes where the published chunker and xet-core disagreed (1,000,000 random bytes is enough), plus
// one below a chunk and one of several xorb-sized pieces of chunk data.
const SIZES = [1_000_000, 1_500_001, 2_621_440, 4_999_999, 70_000, 9 * 1024 * 1024 + 3];

describeWithPython("one xetHash for the same bytes from Python or neff-cache", (py: PythonTestEnv) => {
  let server: HubServer;
  let work: string;
  let store: Store;

  beforeAll(async () => {
    server = await startHubServer({ tokens: [{ token: TOKEN, scope: "write", user: "neff" }] });
    work = await mkdtemp(path.join(tmpdir(), "neff-xet-dedup-"));
    store = createHfStore({
      namespace: "neff",
      name: "dedup",
      prefix: "",
      env: { HF_TOKEN: TOKEN, HF_ENDPOINT: server.url, HF_HOME: path.join(work, "neff-hf-home") },
    });
    await store.create();
  });
  afterAll(async () => {
    await server?.close();
    await rm(work, { recursive: true, force: true });
  });

  // A fresh HF_HOME per call: hf_xet keeps no local shard cache between calls, so any dedup it finds
  // comes from the server's answer to its global-dedup query, as on another machine.
  let calls = 0;
  const python = async (script: string, ...args: string[]): Promise<unknown> => {
    const home = path.join(work, `py-home-${++calls}`);
    const { stdout } = await execFileAsync(py.python, ["-c", script, ...args], {
      env: {
        PATH: `${py.bin}:${process.env.PATH ?? ""}`,
        HOME: home,
        HF_HOME: home,
        HF_ENDPOINT: server.url,
        HF_TOKEN: TOKEN,
        HF_HUB_DISABLE_PROGRESS_BARS: "1",
      },
      cwd: work,
    }).catch((error: { stderr?: string; message: string }) => {
      throw new Error(`python failed: ${error.stderr?.slice(-3000) ?? error.message}`);
    });
    return JSON.parse(stdout.trim().split("\n").at(-1) as string) as unknown;
  };
  const files = async (tag: string): Promise<string[]> => {
    const paths: string[] = [];
    for (const [index, size] of SIZES.entries()) {
      const file = path.join(work, `${tag}-${index}.bin`);
      await writeFile(file, randomBytes(size));
      paths.push(file);
    }
    return paths;
  };
  const neffWrite = async (keys: string[], paths: string[]): Promise<void> => {
    for (const [index, key] of keys.entries()) {
      const filePath = paths[index] as string;
      const size = SIZES[index] as number;
      await store.write(key, { size, filePath, open: (): Readable => createReadStream(filePath) });
    }
  };
  const neffHashes = async (keys: string[]): Promise<(string | undefined)[]> =>
    Promise.all(keys.map(async (key) => (await store.stat(key))?.xetHash));

  it("Python first, then neff-cache: the same hashes, and neff-cache sends no xorb", async () => {
    const paths = await files("py-first");
    const pyKeys = paths.map((_, i) => `python/${i}.bin`);
    const pyHashes = (await python(
      PYTHON_UPLOAD,
      "neff/dedup",
      JSON.stringify(paths),
      JSON.stringify(pyKeys),
    )) as {
      listed: string[];
      local: string[];
    };
    expect(pyHashes.listed).toEqual(pyHashes.local);
    const before = server.stats.uploads();
    const keys = paths.map((_, i) => `neff/${i}.bin`);
    await neffWrite(keys, paths);
    expect(await neffHashes(keys)).toEqual(pyHashes.local);
    const after = server.stats.uploads();
    expect(after.xorbUploads - before.xorbUploads, "xorbs neff-cache sent for stored bytes").toBe(0);
    expect(after.dedupHits - before.dedupHits, "dedup queries the CAS answered with a match").toBeGreaterThan(
      0,
    );
    // What neff-cache registered reads back as the bytes hf_xet stored.
    for (const [index, key] of keys.entries()) {
      const stream = await store.read(key);
      expect(stream, key).not.toBeNull();
      const digest = createHash("sha256");
      for await (const piece of stream as Readable) digest.update(piece as Buffer);
      expect(digest.digest("hex"), key).toBe(
        createHash("sha256")
          .update(await readFile(paths[index] as string))
          .digest("hex"),
      );
    }
    expect(after.undersizedChunks).toBe(0);
  });

  it("neff-cache first, then Python: the same hashes, and hf_xet sends no xorb", async () => {
    const paths = await files("neff-first");
    const keys = paths.map((_, i) => `neff-first/${i}.bin`);
    await neffWrite(keys, paths);
    expect(server.stats.uploads().undersizedChunks).toBe(0);
    const before = server.stats.uploads();
    const pyKeys = paths.map((_, i) => `python-second/${i}.bin`);
    const pyHashes = (await python(
      PYTHON_UPLOAD,
      "neff/dedup",
      JSON.stringify(paths),
      JSON.stringify(pyKeys),
    )) as {
      listed: string[];
      local: string[];
    };
    expect(await neffHashes(keys)).toEqual(pyHashes.local);
    expect(pyHashes.listed).toEqual(pyHashes.local);
    expect(
      server.stats.uploads().xorbUploads - before.xorbUploads,
      "xorbs hf_xet sent for stored bytes",
    ).toBe(0);
  });
});

// --- internal ---

const PYTHON_UPLOAD = String.raw`
import json, sys
import hf_xet
from huggingface_hub import HfApi
bucket, paths, keys = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
api = HfApi()
api.batch_bucket_files(bucket, add=list(zip(paths, keys)))
listed = {f.path: f.xet_hash for f in api.get_bucket_paths_info(bucket, keys)}
print(json.dumps({"listed": [listed.get(k) for k in keys], "local": [i.hash for i in hf_xet.hash_files(paths)]}))
`;
