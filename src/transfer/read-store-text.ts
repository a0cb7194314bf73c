import type { Store } from "../store/store.ts";
import { readWholeBody } from "./read-whole-body.ts";

/**
 * Reads a small object as UTF-8 text, or null when it does not exist. Refuses bodies over
 * `maxBytes`. A body that breaks off is read again from the start (its size is not known here).
 */
export async function readStoreText(
  store: Store,
  key: string,
  options: { signal?: AbortSignal; maxBytes: number },
): Promise<string | null> {
  let chunks: Buffer[] = [];
  let size = 0;
  const found = await readWholeBody({
    store,
    key,
    signal: options.signal,
    sink: {
      write(chunk) {
        size += chunk.length;
        if (size > options.maxBytes) throw new Error(`${key} is larger than ${options.maxBytes} bytes`);
        chunks.push(chunk);
      },
      rewind() {
        chunks = [];
        size = 0;
        return 0;
      },
    },
  });
  return found ? Buffer.concat(chunks).toString("utf8") : null;
}
