/**
 * A deterministic corpus for Xet conformance: random, repetitive and chunk-boundary-adversarial
 * files from 0 B to 100 MiB, generated at test time (nothing big is committed). Each file is a
 * base pattern plus optional 64-byte "trigger" windows: a trigger ends on a gear-hash match
 * wherever it is placed (the gear hash depends only on the last 64 bytes), so it puts a candidate
 * cut at an exact offset, such as one byte before the 8 KiB minimum.
 */
import { createCipheriv } from "node:crypto";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { once } from "node:events";

/** One corpus file. */
export interface CorpusFile {
  name: string;
  size: number;
  /** Fills `out` with the file's bytes from `offset` on. */
  fill(out: Uint8Array, offset: number): void;
}

const KIB = 1024;
const MIB = 1024 * KIB;
const MIN = 8 * KIB;
const MAX = 128 * KIB;

/**
 * The corpus. `trigger` is a 64-byte window ending on a gear match (any window cut at a
 * non-forced boundary of random data).
 */
export function xetCorpus(trigger: Uint8Array): CorpusFile[] {
  const files: CorpusFile[] = [];
  const add = (name: string, size: number, base: Base, triggerEnds: readonly number[] = []): void => {
    files.push({ name, size, fill: (out, offset) => fillFile(out, offset, base, trigger, triggerEnds) });
  };
  const edges = [MIN, 64 * KIB, MAX, 2 * MAX];
  const aroundEdges = edges.flatMap((edge) => [edge - 65, edge - 64, edge - 1, edge, edge + 1]);

  // Random bytes at sizes on and around every chunking edge, and a spread of ordinary sizes.
  const randomSizes = [0, 1, 2, 3, 63, 64, 65, 1000, 4096, ...aroundEdges, 524_288, 1_000_000, MIB - 1, MIB];
  randomSizes.forEach((size, i) => add(`random-${size}`, size, { kind: "random", seed: i + 1 }));
  let state = 0x1234_5678;
  for (let i = 0; i < 45; i++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const size = 1_000_000 + (state % 4_000_000);
    add(`random-mb-${i}-${size}`, size, { kind: "random", seed: 1000 + i });
  }

  // No gear match at all: every cut is forced at 128 KiB.
  for (const size of [1, MIN - 1, MIN, MAX - 1, MAX, MAX + 1, 2 * MAX, 2 * MAX + 1, 1_000_000, 10 * MIB]) {
    add(`zeros-${size}`, size, { kind: "constant", byte: 0 });
  }
  for (const size of [MAX, 1_000_000, 3 * MIB + 7])
    add(`byte59-${size}`, size, { kind: "constant", byte: 59 });

  // Short and odd periods.
  for (const period of [2, 3, 7, 16, 63, 64, 65, 100, 4096, MIN - 1, MIN, 65_537]) {
    for (const size of [300_000, MIB + 13]) {
      add(`period-${period}-${size}`, size, { kind: "periodic", period, seed: period });
    }
  }

  // A gear match placed exactly at, just before and just after each edge, with the file ending on
  // the match, one byte after it, or much later.
  const matchEnds = [
    64,
    100,
    MIN - 65,
    MIN - 64,
    MIN - 2,
    MIN - 1,
    MIN,
    MIN + 1,
    MIN + 2,
    MIN + 64,
    MIN + 65,
    64 * KIB,
    MAX - 1,
    MAX,
    MAX + 1,
    2 * MAX - 1,
    2 * MAX,
  ];
  for (const end of matchEnds) {
    for (const size of [end, end + 1, end + MIN, end + MAX + 5]) {
      add(`match-at-${end}-size-${size}`, size, { kind: "constant", byte: 0 }, [end]);
    }
  }
  // Matches at a steady spacing: every one admissible, or each one byte too early.
  for (const spacing of [64, 4096, MIN - 1, MIN, MIN + 1, 20_000, MAX - 1, MAX, MAX + 1]) {
    const ends = Array.from({ length: Math.floor((2 * MIB) / spacing) }, (_, i) => (i + 1) * spacing);
    add(`match-every-${spacing}`, 2 * MIB, { kind: "constant", byte: 0 }, ends);
  }
  // Matches right after a forced cut, and two matches inside one minimum-size window.
  add("match-after-forced-cut", 3 * MAX, { kind: "constant", byte: 0 }, [
    MAX + 64,
    MAX + MIN,
    2 * MAX + MIN + 1,
  ]);
  add("two-matches-below-min", 5 * MIN, { kind: "constant", byte: 0 }, [MIN + 100, MIN + 3000, 2 * MIN + 10]);
  for (const [i, ends] of [[MIN - 1], [MIN], [300_000, 300_001], [MAX + MIN - 1, MAX + MIN]].entries()) {
    add(`random-with-matches-${i}`, 600_000, { kind: "random", seed: 5000 + i }, ends);
  }

  // A block repeated (the same chunks again), and halves of different kinds.
  add("repeated-random-block", 5 * MIB, { kind: "periodic", period: MIB, seed: 77 });
  add("repeated-odd-block", 3 * MIB, { kind: "periodic", period: MIB + 1, seed: 78 });
  add("random-then-zeros", 2 * MIB, { kind: "split", at: MIB, seed: 79 });
  add("random-then-zeros-odd", 2 * MIB + 3, { kind: "split", at: MIB + MIN - 1, seed: 80 });

  // Around the 64 MiB xorb limit, and the largest file.
  for (const size of [64 * MIB - 1, 64 * MIB + 1, 100 * MIB])
    add(`random-${size}`, size, { kind: "random", seed: size });
  return files;
}

/** Writes `file` to `dir` in 1 MiB pieces and returns its path. */
export async function writeCorpusFile(dir: string, file: CorpusFile): Promise<string> {
  const path = join(dir, file.name);
  const out = createWriteStream(path);
  for (let offset = 0; offset < file.size; offset += MIB) {
    const piece = new Uint8Array(Math.min(MIB, file.size - offset));
    file.fill(piece, offset);
    if (!out.write(piece)) await once(out, "drain");
  }
  out.end();
  await once(out, "close");
  return path;
}

// --- internal ---

type Base =
  | { kind: "random"; seed: number }
  | { kind: "constant"; byte: number }
  /** A random block of `period` bytes, repeated. */
  | { kind: "periodic"; period: number; seed: number }
  /** Random up to `at`, zeros after. */
  | { kind: "split"; at: number; seed: number };

function fillFile(
  out: Uint8Array,
  offset: number,
  base: Base,
  trigger: Uint8Array,
  triggerEnds: readonly number[],
): void {
  switch (base.kind) {
    case "random":
      fillRandom(out, offset, base.seed);
      break;
    case "constant":
      out.fill(base.byte);
      break;
    case "periodic": {
      const block = new Uint8Array(base.period);
      fillRandom(block, 0, base.seed);
      for (let i = 0; i < out.length;) {
        const at = (offset + i) % base.period;
        const n = Math.min(base.period - at, out.length - i);
        out.set(block.subarray(at, at + n), i);
        i += n;
      }
      break;
    }
    case "split": {
      out.fill(0);
      const randomEnd = Math.min(out.length, base.at - offset);
      if (randomEnd > 0) fillRandom(out.subarray(0, randomEnd), offset, base.seed);
      break;
    }
  }
  for (const end of triggerEnds) {
    const start = end - trigger.length;
    for (let i = Math.max(start, offset); i < Math.min(end, offset + out.length); i++) {
      out[i - offset] = trigger[i - start] as number;
    }
  }
}

/** AES-256-CTR keystream of `seed` from byte `offset` on: fast, seekable, deterministic. */
function fillRandom(out: Uint8Array, offset: number, seed: number): void {
  const key = Buffer.alloc(32);
  key.writeUInt32LE(seed >>> 0, 0);
  key.writeUInt32LE(Math.floor(seed / 2 ** 32), 4);
  const block = Math.floor(offset / 16);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(block), 8);
  const skip = offset - block * 16;
  const stream = createCipheriv("aes-256-ctr", key, iv).update(Buffer.alloc(skip + out.length));
  out.set(stream.subarray(skip));
}
