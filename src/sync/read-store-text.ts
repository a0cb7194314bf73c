import type { Store } from "../store/store.ts";

/** Reads a small object as UTF-8 text, or null when it does not exist. Refuses bodies over `maxBytes`. */
export async function readStoreText(
  store: Store,
  key: string,
  options: { signal?: AbortSignal; maxBytes: number },
): Promise<string | null> {
  const body = await store.read(key, { signal: options.signal });
  if (body === null) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > options.maxBytes) {
      body.destroy();
      throw new Error(`${key} is larger than ${options.maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
