/**
 * Framing of optimum-neuron's bucket_server protocol: every message, in both directions, is a
 * 4-byte big-endian unsigned length followed by that many bytes of UTF-8 JSON, written the way
 * Python's `json.dumps(obj)` writes it (`", "` and `": "` separators, ASCII escapes).
 */
import { pyJsonDumps } from "../layout/py-json.ts";
import type { PyJsonValue } from "../layout/py-json.ts";

/** Bytes of the length prefix. */
export const FRAME_HEADER_BYTES = 4;
/** Largest frame the protocol can express (the prefix is a u32). */
export const MAX_FRAME_BYTES_LIMIT = 0xffff_ffff;
/**
 * Default cap on a request we buffer: requests are lists of paths and small literal bodies, and
 * a peer announcing gigabytes must not make the server allocate them.
 */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024 * 1024;

/** One message as bytes on the wire: length prefix + Python-style JSON. */
export function encodeFrame(message: PyJsonValue): Buffer {
  const body = Buffer.from(pyJsonDumps(message), "utf8");
  if (body.length > MAX_FRAME_BYTES_LIMIT)
    throw new RangeError(`message of ${body.length} bytes exceeds the u32 length prefix`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, FRAME_HEADER_BYTES);
  return frame;
}

/** What a decoder found in the bytes pushed so far. */
export type FrameEvent =
  /** A whole message body (the JSON bytes, without the prefix). */
  | { type: "frame"; body: Buffer }
  /** The peer announced a message larger than allowed; nothing after it can be trusted. */
  | { type: "too-large"; size: number };

export interface FrameDecoderOptions {
  /** Largest body accepted. @default DEFAULT_MAX_FRAME_BYTES */
  maxFrameBytes?: number;
}

/** Incremental decoder for one connection's byte stream. */
export interface FrameDecoder {
  /** Feeds bytes; returns every message they complete, in order. */
  push(chunk: Uint8Array): FrameEvent[];
  /** Bytes held that do not yet form a whole message (an incomplete prefix or body at EOF). */
  readonly pendingBytes: number;
}

/** Creates a decoder; after a "too-large" event it yields nothing more. */
export function createFrameDecoder(options: FrameDecoderOptions = {}): FrameDecoder {
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  let buffered = Buffer.alloc(0);
  let failed = false;
  return {
    push(chunk: Uint8Array): FrameEvent[] {
      if (failed) return [];
      buffered = buffered.length === 0 ? Buffer.from(chunk) : Buffer.concat([buffered, chunk]);
      const events: FrameEvent[] = [];
      let offset = 0;
      while (buffered.length - offset >= FRAME_HEADER_BYTES) {
        const size = buffered.readUInt32BE(offset);
        if (size > maxFrameBytes) {
          failed = true;
          buffered = Buffer.alloc(0);
          events.push({ type: "too-large", size });
          return events;
        }
        if (buffered.length - offset - FRAME_HEADER_BYTES < size) break;
        const start = offset + FRAME_HEADER_BYTES;
        events.push({ type: "frame", body: Buffer.from(buffered.subarray(start, start + size)) });
        offset = start + size;
      }
      buffered = offset === 0 ? buffered : Buffer.from(buffered.subarray(offset));
      return events;
    },
    get pendingBytes(): number {
      return buffered.length;
    },
  };
}
