/**
 * The Xet hash of a byte stream, computed locally: what a bucket lists as `xetHash` for the same
 * bytes. It lets a reader verify a download against the listing, where no SHA-256 or MD5 exists.
 *
 * https://huggingface.co/docs/xet/hashing
 */

/** Chunks `bytes` as Xet does and returns the 64-hex file hash (64 zeros for no bytes). */
export async function xetFileHash(bytes: AsyncIterable<Uint8Array>): Promise<string> {
  // Loaded on first use: the WebAssembly chunker is only needed when verifying.
  const xet = await import("@huggingface/xetchunk-wasm");
  const chunker = xet.createChunker();
  const chunks: Array<{ hash: Uint8Array; length: number }> = [];
  for await (const piece of bytes) {
    if (piece.length > 0) chunks.push(...xet.nextBlock(chunker, piece));
  }
  const last = xet.finalize(chunker);
  if (last !== null) chunks.push(last);
  if (chunks.length === 0) return "0".repeat(64);
  return xet.hashToHex(xet.fileHash(chunks));
}
