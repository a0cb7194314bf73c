/**
 * Xet conformance: neff-cache's chunking and hashing against the reference implementation
 * (`hf_xet.hash_files`, the Rust xet-core) on a generated corpus of 200+ files.
 */
import { execFileSync } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createXetChunker } from "../../src/store/hf/xet/xet-chunker.ts";
import { xetFileHash } from "../../src/store/hf/xet/xet-file-hash.ts";
import { describeWithPython } from "../support/python-test-env.ts";
import { writeCorpusFile, xetCorpus } from "../support/xet-corpus.ts";
import type { CorpusFile } from "../support/xet-corpus.ts";

const HASH_FILES = `
import json, sys, hf_xet
paths = json.load(sys.stdin)
print(json.dumps([info.hash for info in hf_xet.hash_files(paths)]))
`;

describeWithPython("Xet hashes against hf_xet", (py) => {
  let dir: string;
  let files: CorpusFile[];
  const paths: string[] = [];
  let reference: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "neff-xet-corpus-"));
    files = xetCorpus(gearMatchWindow());
    for (const file of files) paths.push(await writeCorpusFile(dir, file));
    const out = execFileSync(py.python, ["-c", HASH_FILES], {
      input: JSON.stringify(paths),
      maxBuffer: 16 * 1024 * 1024,
    });
    reference = JSON.parse(out.toString()) as string[];
  }, 300_000);
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("generates at least 200 files from 0 B to 100 MiB", () => {
    expect(files.length).toBeGreaterThanOrEqual(200);
    const sizes = files.map((file) => file.size);
    expect(Math.min(...sizes)).toBe(0);
    expect(Math.max(...sizes)).toBe(100 * 1024 * 1024);
    expect(new Set(files.map((file) => file.name)).size).toBe(files.length);
  });

  it("computes every file's xetHash as hf_xet does", async () => {
    const mismatches: string[] = [];
    for (const [i, file] of files.entries()) {
      // Odd read sizes for the small files: boundaries must not depend on how bytes arrive.
      const highWaterMark = file.size < 4 * 1024 * 1024 ? 1000 + (i % 7) * 4099 : 1024 * 1024;
      const ours = await xetFileHash(createReadStream(paths[i] as string, { highWaterMark }));
      if (ours !== reference[i]) mismatches.push(`${file.name}: ours ${ours}, hf_xet ${reference[i]}`);
    }
    expect(mismatches).toEqual([]);
  }, 300_000);
});

/** 64 bytes that end on a gear-hash match: the last bytes of the first chunk of random data. */
function gearMatchWindow(): Uint8Array {
  const data = new Uint8Array(1024 * 1024);
  let state = 7;
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    data[i] = state >>> 24;
  }
  const end = createXetChunker().push(data)[0];
  if (end === undefined || end >= 128 * 1024) throw new Error("no gear match in the first 128 KiB");
  return data.slice(end - 64, end);
}
