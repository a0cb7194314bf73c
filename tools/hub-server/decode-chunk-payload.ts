/** Chunk compression schemes of the Xet xorb format. */
export const COMPRESSION_NONE = 0;
export const COMPRESSION_LZ4 = 1;
export const COMPRESSION_BG4_LZ4 = 2;

const LZ4_FRAME_MAGIC = 0x184d2204;
const LZ4_MIN_MATCH = 4;

/** Raised when a chunk payload cannot be decoded to the length its header announces. */
export class ChunkDecodeError extends Error {
  override name = "ChunkDecodeError";
}

/**
 * Decodes one xorb chunk payload to exactly `rawLength` bytes.
 * Scheme 1 and 2 use the LZ4 *frame* format (not raw blocks), as both xet-core and the JS client write it.
 */
export function decodeChunkPayload(scheme: number, payload: Uint8Array, rawLength: number): Uint8Array {
  switch (scheme) {
    case COMPRESSION_NONE:
      if (payload.length !== rawLength) throw new ChunkDecodeError("uncompressed chunk length mismatch");
      return payload;
    case COMPRESSION_LZ4:
      return decodeLz4Frame(payload, rawLength);
    case COMPRESSION_BG4_LZ4:
      return regroupBg4(decodeLz4Frame(payload, rawLength));
    default:
      throw new ChunkDecodeError(`unknown compression scheme ${scheme}`);
  }
}

/** Undoes byte grouping: the input holds the bytes at positions 0,4,8… then 1,5,9… then 2… then 3…. */
function regroupBg4(grouped: Uint8Array): Uint8Array {
  const n = grouped.length;
  const split = Math.floor(n / 4);
  const rem = n % 4;
  const starts = [0, 0, 0, 0];
  starts[1] = split + (rem >= 1 ? 1 : 0);
  starts[2] = starts[1] + split + (rem >= 2 ? 1 : 0);
  starts[3] = starts[2] + split + (rem === 3 ? 1 : 0);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = grouped[(starts[i % 4] as number) + Math.floor(i / 4)] as number;
  }
  return out;
}

function decodeLz4Frame(src: Uint8Array, rawLength: number): Uint8Array {
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (src.length < 7 || view.getUint32(0, true) !== LZ4_FRAME_MAGIC)
    throw new ChunkDecodeError("bad LZ4 frame magic");
  const flg = src[4] as number;
  if (flg >> 6 !== 1) throw new ChunkDecodeError("unsupported LZ4 frame version");
  const blockChecksum = (flg & 0x10) !== 0;
  const contentSize = (flg & 0x08) !== 0;
  const contentChecksum = (flg & 0x04) !== 0;
  const dictId = (flg & 0x01) !== 0;
  let ip = 6 + (contentSize ? 8 : 0) + (dictId ? 4 : 0) + 1; // FLG, BD, optional fields, header checksum
  const out = new Uint8Array(rawLength);
  let op = 0;
  for (;;) {
    if (ip + 4 > src.length) throw new ChunkDecodeError("truncated LZ4 frame");
    const word = view.getUint32(ip, true);
    ip += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    if (ip + size > src.length) throw new ChunkDecodeError("truncated LZ4 block");
    if ((word & 0x80000000) !== 0) {
      if (op + size > rawLength) throw new ChunkDecodeError("LZ4 output longer than announced");
      out.set(src.subarray(ip, ip + size), op);
      op += size;
    } else {
      // Blocks may reference earlier blocks (block independence off), which one output buffer allows.
      op = decodeLz4Block(src, ip, ip + size, out, op);
    }
    ip += size + (blockChecksum ? 4 : 0);
  }
  if (contentChecksum && ip + 4 > src.length) throw new ChunkDecodeError("truncated LZ4 content checksum");
  if (op !== rawLength) throw new ChunkDecodeError(`LZ4 output is ${op} bytes, header says ${rawLength}`);
  return out;
}

function decodeLz4Block(src: Uint8Array, ip: number, end: number, out: Uint8Array, op: number): number {
  while (ip < end) {
    const token = src[ip++] as number;
    let literals = token >> 4;
    if (literals === 15) {
      let b: number;
      do {
        b = src[ip++] as number;
        literals += b;
      } while (b === 255 && ip < end);
    }
    if (ip + literals > end || op + literals > out.length) throw new ChunkDecodeError("LZ4 literal overrun");
    out.set(src.subarray(ip, ip + literals), op);
    ip += literals;
    op += literals;
    if (ip >= end) break; // the last sequence carries literals only
    const offset = (src[ip] as number) | ((src[ip + 1] as number) << 8);
    ip += 2;
    if (offset === 0 || offset > op) throw new ChunkDecodeError("LZ4 match offset out of range");
    let matchLength = token & 15;
    if (matchLength === 15) {
      let b: number;
      do {
        b = src[ip++] as number;
        matchLength += b;
      } while (b === 255 && ip < end);
    }
    matchLength += LZ4_MIN_MATCH;
    if (op + matchLength > out.length) throw new ChunkDecodeError("LZ4 match overrun");
    let from = op - offset;
    if (offset >= matchLength) {
      out.copyWithin(op, from, from + matchLength);
      op += matchLength;
    } else {
      for (let i = 0; i < matchLength; i++) out[op++] = out[from++] as number;
    }
  }
  return op;
}
