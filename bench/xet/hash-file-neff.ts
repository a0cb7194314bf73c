/**
 * Prints the milliseconds neff-cache's Xet chunking and hashing take over one file (read in
 * 1 MiB pieces), then the hash: `tsx bench/xet/hash-file-neff.ts FILE`.
 */
import { createReadStream } from "node:fs";
import { xetFileHash } from "../../src/store/hf/xet/xet-file-hash.ts";

const file = process.argv[2];
if (file === undefined) throw new Error("usage: hash-file-neff.ts FILE");
const started = performance.now();
const hash = await xetFileHash(createReadStream(file, { highWaterMark: 1024 * 1024 }));
process.stdout.write(`${(performance.now() - started).toFixed(1)} ${hash}\n`);
