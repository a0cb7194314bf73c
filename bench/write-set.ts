/**
 * Writes a planned set as a local compile cache: `<dir>/neuronxcc-<cv>/MODULE_…/<file>`.
 * Contents are an AES-CTR keystream keyed by the file's path, so every file is distinct,
 * incompressible and identical from run to run, at memory speed.
 */
import { createCipheriv, createHash } from "node:crypto";
import { mkdir, open } from "node:fs/promises";
import { join } from "node:path";
import type { PlannedSet } from "./sets.ts";

const CHUNK_BYTES = 1024 * 1024;
const ZEROS = Buffer.alloc(CHUNK_BYTES);

async function writeFileOfSize(path: string, size: number, keyMaterial: string): Promise<void> {
  const digest = createHash("sha256").update(keyMaterial).digest();
  const cipher = createCipheriv("aes-128-ctr", digest.subarray(0, 16), digest.subarray(16, 32));
  const handle = await open(path, "w");
  try {
    for (let written = 0; written < size; written += CHUNK_BYTES) {
      const length = Math.min(CHUNK_BYTES, size - written);
      await handle.write(cipher.update(ZEROS.subarray(0, length)));
    }
  } finally {
    await handle.close();
  }
}

export interface WriteSetOptions {
  /** The local cache root (the directory that holds `neuronxcc-<cv>/`). */
  dir: string;
  compilerVersion: string;
  set: PlannedSet;
}

/** Writes every entry of the set in the success state (files as planned, `model.done` empty). */
export async function writeSet(options: WriteSetOptions): Promise<void> {
  const versionDir = join(options.dir, `neuronxcc-${options.compilerVersion}`);
  for (const entry of options.set.entries) {
    const entryDir = join(versionDir, entry.name);
    await mkdir(entryDir, { recursive: true });
    // model.done last, as the compiler does: a half-written entry never looks successful.
    const ordered = [...entry.files].sort(
      (a, b) => Number(a.name === "model.done") - Number(b.name === "model.done"),
    );
    for (const file of ordered) {
      await writeFileOfSize(
        join(entryDir, file.name),
        file.size,
        `${options.set.name}/${entry.name}/${file.name}`,
      );
    }
  }
}
