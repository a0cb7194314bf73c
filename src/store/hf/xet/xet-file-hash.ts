/**
 * The Xet hash of a byte stream, computed locally: what a bucket lists as `xetHash` for the same
 * bytes. It lets a reader verify a download against the listing, where no SHA-256 or MD5 exists.
 */
import { createXetChunkStream } from "./xet-chunk-stream.ts";
import { createXetHasher, hashToHex } from "./xet-hash.ts";
import type { HashedRange } from "./xet-hash.ts";

/** Chunks `bytes` as Xet does and returns the 64-hex file hash (64 zeros for no bytes). */
export async function xetFileHash(
  bytes: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  signal?: AbortSignal,
): Promise<string> {
  const hasher = await createXetHasher();
  const stream = createXetChunkStream(hasher);
  const chunks: HashedRange[] = [];
  const visitor = { chunk: (range: HashedRange) => void chunks.push(range) };
  for await (const piece of bytes) {
    signal?.throwIfAborted();
    stream.push(piece, visitor);
  }
  stream.end(visitor);
  return hashToHex(hasher.fileHash(chunks));
}
