import type { Writable } from "node:stream";
import type { Storage, XorbRecord } from "./create-storage.ts";
import { decodeXorbChunk } from "./parse-xorb.ts";
import type { ReconstructionPlan } from "./plan-reconstruction.ts";

/**
 * Writes `length` bytes of a planned reconstruction to a stream, decoding one term at a time and waiting
 * for the stream to drain, so a large file never sits in memory whole.
 */
export async function writeFileRange(
  storage: Storage,
  plan: ReconstructionPlan,
  length: number,
  out: Writable,
): Promise<void> {
  let skip = plan.offsetIntoFirstRange;
  let remaining = length;
  for (const term of plan.terms) {
    if (remaining <= 0) break;
    const xorb = storage.getXorb(term.xorb) as XorbRecord;
    const bytes = await storage.readXorb(term.xorb, term.byteStart, term.byteEnd);
    for (let index = term.chunkStart; index < term.chunkEnd && remaining > 0; index++) {
      const chunk = xorb.chunks[index] as XorbRecord["chunks"][number];
      let data = decodeXorbChunk(bytes, chunk.offset - term.byteStart);
      if (skip > 0) {
        const dropped = Math.min(skip, data.length);
        data = data.subarray(dropped);
        skip -= dropped;
      }
      if (data.length > remaining) data = data.subarray(0, remaining);
      remaining -= data.length;
      if (out.destroyed) return;
      if (data.length > 0 && !out.write(data)) {
        // A client that hangs up never drains; "close" ends the wait.
        await drainOrClose(out);
      }
    }
  }
}

/** Waits for "drain", or for "close" from a client that hung up; removes both listeners either way. */
function drainOrClose(out: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      out.off("drain", done);
      out.off("close", done);
      resolve();
    };
    out.on("drain", done);
    out.on("close", done);
  });
}
