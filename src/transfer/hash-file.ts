import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";

/** Hex SHA-256 of a local file, streamed. */
export async function sha256File(path: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, signal })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest("hex");
}

export interface LocalFileDigest {
  /** Bytes read, at most `limit + 1` (reading stops past the limit). */
  bytes: number;
  /** Hex digest of the bytes read, or null without an algorithm. */
  hex: string | null;
}

export interface HashLocalFileOptions {
  algorithm: "sha256" | "md5" | null;
  /** The length the file should have: reading stops one byte past it. */
  limit: number;
  signal?: AbortSignal;
}

/**
 * Reads a local file through one buffer of at most READ_BYTES (sized to the file when smaller)
 * and hashes it. A read stream allocates a fresh buffer per read, and that garbage was the main
 * thread's largest cost when fetching the model set from a directory store.
 */
export async function hashLocalFile(path: string, options: HashLocalFileOptions): Promise<LocalFileDigest> {
  const { algorithm, limit, signal } = options;
  const hash = algorithm ? createHash(algorithm) : null;
  // One byte more than the limit, so a file of exactly the limit is read in full by the first
  // read when small, and a longer one shows itself.
  const buffer = Buffer.allocUnsafe(Math.min(limit + 1, READ_BYTES));
  const handle = await open(path, "r");
  let bytes = 0;
  try {
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, bytes);
      if (bytesRead === 0) break;
      hash?.update(buffer.subarray(0, bytesRead));
      bytes += bytesRead;
      // A read of a regular file returns less than asked only at its end: no second read to
      // see 0 bytes (one call per file of the many-small set). Should a read ever stop short
      // before the end, the file reads as too short and is refused, never accepted.
      if (bytes > limit || bytesRead < buffer.length) break;
    }
  } finally {
    await handle.close();
  }
  return { bytes, hex: hash ? hash.digest("hex") : null };
}

/** Largest read of hashLocalFile. */
const READ_BYTES = 1024 * 1024;
