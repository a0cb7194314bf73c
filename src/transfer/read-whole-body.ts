/**
 * Reads one object's whole body, for every backend: a body that breaks off (a reset, an idle
 * connection, a server that closes early) is read again from the last byte the caller kept,
 * by a ranged read, or from the start when the caller keeps nothing. Stores retry their own
 * requests up to the response headers; this is the part after them, where the stores cannot
 * know how much of the body the caller already has.
 */
import type { Readable } from "node:stream";
import { StoreError } from "../errors.ts";
import { classifyTransferError, withRetry, type RetryPolicy } from "../store/retry.ts";
import type { Store } from "../store/store.ts";

/** Where the bytes go. */
export interface BodySink {
  /** Takes the next chunk; may write it out. Throwing stops the read (no retry unless the error says so). */
  write(chunk: Buffer): void | Promise<void>;
  /**
   * Called before every attempt after the first: drops whatever was not kept and returns how
   * many leading bytes are kept, from which the next attempt reads. 0 starts over.
   */
  rewind(): number | Promise<number>;
}

export interface ReadWholeBodyOptions {
  store: Store;
  key: string;
  /** The body's length when known (a listing's size): lets a broken body be resumed by a ranged read. */
  size?: number;
  sink: BodySink;
  signal?: AbortSignal;
  policy?: Partial<RetryPolicy>;
}

/**
 * Reads `key` into `sink` until the whole body is in; false when the key does not exist.
 * Gives up as `withRetry`'s policy says, with a StoreError naming the key, how far the body got
 * and the last cause.
 */
export async function readWholeBody(options: ReadWholeBodyOptions): Promise<boolean> {
  const { store, key, size, sink, signal } = options;
  let received = 0;
  let fromStore = false;
  let attempts = 0;
  try {
    return await withRetry(
      async (attempt) => {
        attempts = attempt;
        const offset = attempt === 1 ? 0 : await sink.rewind();
        received = offset;
        const range =
          offset > 0 && size !== undefined && offset < size ? { offset, length: size - offset } : undefined;
        if (offset > 0 && range === undefined) throw new Error(`${key}: cannot resume at byte ${offset}`);
        fromStore = true;
        const body = await store.read(key, { signal, ...(range ? { range } : {}) });
        fromStore = false;
        if (body === null) {
          if (attempt === 1) return false;
          throw new StoreError(`${key} vanished from the store while it was being read.`, {
            store: store.kind,
            retryable: false,
          });
        }
        await pumpBody(body, sink, (bytes) => {
          received += bytes;
        });
        // A body that ends cleanly is the object's whole body (a connection that breaks fails the
        // stream instead); its length is the caller's to judge.
        return true;
      },
      {
        signal,
        policy: options.policy,
        // The store has already retried its own request; only a broken body is retried here.
        classify: (error) => (fromStore ? { retry: false } : classifyTransferError(error)),
      },
    );
  } catch (error) {
    if (signal?.aborted || fromStore || !classifyTransferError(error).retry) throw error;
    const of = size === undefined ? "" : ` of ${size}`;
    throw new StoreError(
      `Reading ${key} broke off after ${received}${of} bytes, ${attempts} attempt${attempts === 1 ? "" : "s"} (${causeOf(error)}).`,
      {
        store: store.kind,
        retryable: true,
        cause: error,
        hint: "Check the network and the store, then run the command again.",
      },
    );
  }
}

/**
 * Feeds `body` into `sink` chunk by chunk, pausing the body while a write is pending; settles
 * when the body has ended and the last write is done. Events, not `for await`: the async
 * iterator of a Readable costs a promise per chunk and an end-of-stream watcher per body, paid
 * on every one of thousands of small files.
 */
function pumpBody(
  body: NodeJS.ReadableStream,
  sink: BodySink,
  onChunk: (bytes: number) => void,
): Promise<void> {
  const stream = body as Readable;
  return new Promise<void>((resolve, reject) => {
    let writing = false;
    let ended = false;
    let settled = false;
    // An error while a write is pending waits for it: the caller may rewind the sink next.
    let failure: { error: unknown } | null = null;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("close", onClose);
      // Kept, as a no-op, rather than removed: an abort or a late socket error after the body
      // was settled must not become an uncaught 'error' event.
      stream.off("error", onError);
      stream.on("error", ignore);
      if (failure === null) resolve();
      else {
        stream.destroy();
        reject(failure.error);
      }
    };
    const fail = (error: unknown): void => {
      failure ??= { error };
      if (!writing) settle();
    };
    const onData = (chunk: Buffer): void => {
      if (failure !== null) return;
      onChunk(chunk.length);
      let pending: void | Promise<void>;
      try {
        pending = sink.write(chunk);
      } catch (error) {
        fail(error);
        return;
      }
      if (pending === undefined) return;
      writing = true;
      stream.pause();
      pending.then(
        () => {
          writing = false;
          if (failure !== null || ended) settle();
          else stream.resume();
        },
        (error: unknown) => {
          writing = false;
          fail(error);
        },
      );
    };
    const onEnd = (): void => {
      ended = true;
      if (!writing) settle();
    };
    const onError = (error: unknown): void => fail(error);
    // A body whose connection goes without an end or an error broke off.
    const onClose = (): void => {
      if (!ended) fail(Object.assign(new Error("Premature close"), { code: "ERR_STREAM_PREMATURE_CLOSE" }));
    };
    stream.on("data", onData);
    stream.once("end", onEnd);
    stream.once("error", onError);
    stream.once("close", onClose);
  });
}

function ignore(): void {}

/** Short text for a low-level cause: its code and message, e.g. "ECONNRESET: aborted". */
function causeOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && code !== "" && !error.message.includes(code)
    ? `${code}: ${error.message}`
    : error.message;
}
