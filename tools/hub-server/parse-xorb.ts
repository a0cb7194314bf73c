import { decodeChunkPayload } from "./decode-chunk-payload.ts";
import { hashToHex } from "./xet-hash.ts";
import type { HashedRange, XetHasher } from "./xet-hash.ts";

/** Size of the header in front of every chunk of a xorb. */
export const CHUNK_HEADER_BYTES = 8;
/**
 * Most uncompressed chunk data one xorb may hold. The spec words it as a limit on the serialized xorb,
 * but xet-core (hf_xet) cuts a xorb when its chunk data would pass 64 MiB, so what it sends is 64 MiB of
 * data plus one 8-byte header per chunk: a few KB more. The reference client wins.
 */
export const MAX_XORB_DATA_BYTES = 64 * 1024 * 1024;
/** Most chunks in one xorb (xet-core's and the JS client's cut). */
export const MAX_XORB_CHUNKS = 8 * 1024;
/**
 * Largest request body taken for a xorb: the data limit, every chunk's header, and room for an info
 * footer (about 60 bytes per chunk with its hash and offsets) for clients that append one.
 */
export const MAX_XORB_BODY_BYTES = MAX_XORB_DATA_BYTES + MAX_XORB_CHUNKS * (CHUNK_HEADER_BYTES + 64) + 4096;
/** Largest uncompressed chunk (the chunker's forced cut). */
export const MAX_CHUNK_BYTES = 128 * 1024;
/** Smallest chunk the chunker cuts, except the last chunk of a file. */
export const MIN_CHUNK_BYTES = 8 * 1024;

// xet-core appends an info footer that starts with "XETBLOB"; a chunk header starts with version 0.
const FOOTER_FIRST_BYTE = 0x58;

/** One chunk of a stored xorb. Offsets are into the serialized xorb. */
export interface XorbChunk {
  /** Xet hex of the chunk hash. */
  hash: string;
  /** Offset of the chunk header. */
  offset: number;
  /** Offset one past the last payload byte. */
  end: number;
  /** Uncompressed length. */
  rawLength: number;
}

/** What a verified xorb holds. */
export interface ParsedXorb {
  /** Merkle root over the chunks, Xet hex. */
  hash: string;
  chunks: XorbChunk[];
  /** Bytes of serialized chunks: headers and payloads (a footer, if any, is excluded). */
  dataLength: number;
}

/** Raised for a xorb whose bytes do not follow the format. */
export class XorbFormatError extends Error {
  override name = "XorbFormatError";
}

/** Reads the 8-byte chunk header at `offset`. */
export function readChunkHeader(
  bytes: Uint8Array,
  offset: number,
): { version: number; compressedLength: number; scheme: number; rawLength: number } {
  if (offset + CHUNK_HEADER_BYTES > bytes.length)
    throw new XorbFormatError(`truncated chunk header at ${offset}`);
  const u24 = (at: number): number =>
    (bytes[at] as number) | ((bytes[at + 1] as number) << 8) | ((bytes[at + 2] as number) << 16);
  return {
    version: bytes[offset] as number,
    compressedLength: u24(offset + 1),
    scheme: bytes[offset + 4] as number,
    rawLength: u24(offset + 5),
  };
}

/** Decodes the chunk whose header starts at `offset` of `bytes`. */
export function decodeXorbChunk(bytes: Uint8Array, offset: number): Uint8Array {
  const header = readChunkHeader(bytes, offset);
  if (header.version !== 0) throw new XorbFormatError(`unknown chunk version ${header.version} at ${offset}`);
  const start = offset + CHUNK_HEADER_BYTES;
  const end = start + header.compressedLength;
  if (end > bytes.length) throw new XorbFormatError(`truncated chunk payload at ${offset}`);
  return decodeChunkPayload(header.scheme, bytes.subarray(start, end), header.rawLength);
}

/**
 * Parses a serialized xorb, decodes every chunk and hashes it. Chunk boundaries are trusted as sent
 * (a chunk below the 8 KiB minimum is only wrong when it is not the last of its file, which the shard
 * tells: see countUndersizedChunks).
 */
export function parseXorb(bytes: Uint8Array, hasher: XetHasher): ParsedXorb {
  if (bytes.length > MAX_XORB_BODY_BYTES)
    throw new XorbFormatError(`xorb of ${bytes.length} bytes exceeds ${MAX_XORB_BODY_BYTES} bytes`);
  const chunks: XorbChunk[] = [];
  const leaves: HashedRange[] = [];
  let offset = 0;
  let rawTotal = 0;
  while (offset < bytes.length) {
    if (bytes[offset] === FOOTER_FIRST_BYTE) break;
    const header = readChunkHeader(bytes, offset);
    if (header.rawLength > MAX_CHUNK_BYTES) throw new XorbFormatError(`chunk at ${offset} exceeds 128 KiB`);
    rawTotal += header.rawLength;
    if (rawTotal > MAX_XORB_DATA_BYTES)
      throw new XorbFormatError(`xorb holds more than 64 MiB of chunk data (chunk at ${offset})`);
    if (chunks.length === MAX_XORB_CHUNKS)
      throw new XorbFormatError(`xorb holds more than ${MAX_XORB_CHUNKS} chunks`);
    const raw = decodeXorbChunk(bytes, offset);
    const hash = hasher.chunkHash(raw);
    const end = offset + CHUNK_HEADER_BYTES + header.compressedLength;
    chunks.push({ hash: hashToHex(hash), offset, end, rawLength: header.rawLength });
    leaves.push({ hash, size: header.rawLength });
    offset = end;
  }
  if (chunks.length === 0) throw new XorbFormatError("xorb holds no chunk");
  return { hash: hashToHex(hasher.merkleRoot(leaves)), chunks, dataLength: offset };
}
