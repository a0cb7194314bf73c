/**
 * One HTTP answer as the Hugging Face backend reads it, whatever sent the request: node:http
 * (the default, `hf-node-send.ts`) or an injected `fetch` (tests, instrumentation). The body is a
 * Node stream in both cases, so a download goes straight into the file sink without web streams.
 */
import { Readable } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";

/** Header lookup by case-insensitive name; null when absent. */
export interface HfHeaders {
  get(name: string): string | null;
}

export interface HfResponse {
  readonly status: number;
  readonly headers: HfHeaders;
  /** The body; empty for HEAD and bodiless answers. Read it, or call `discard`. */
  readonly body: Readable;
  text(): Promise<string>;
  json(): Promise<unknown>;
  /** Drops the rest of the body (a small one is drained so its connection is reused). */
  discard(): void;
}

/** One attempt of one request: no retries, no status checks (hf-http.ts does those). */
export type HfSend = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
  timeoutMs: number,
  signal: AbortSignal | undefined,
) => Promise<HfResponse>;

/** Bodies up to this size are drained on `discard` rather than cut, so keep-alive keeps their socket. */
const DRAIN_BYTES = 64 * 1024;

/** Wraps a Node body with its status and headers. */
export function nodeResponse(
  status: number,
  headers: Record<string, string | string[] | undefined>,
  body: Readable,
): HfResponse {
  const text = async (): Promise<string> => {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  };
  return {
    status,
    headers: {
      get(name) {
        const value = headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(", ") : value;
      },
    },
    body,
    text,
    json: async () => JSON.parse(await text()) as unknown,
    discard() {
      const length = Number(headers["content-length"] ?? Number.NaN);
      if (length <= DRAIN_BYTES) body.resume();
      else body.destroy();
    },
  };
}

/** An HfSend over an injected `fetch` (its web body turned into a Node stream once, when read). */
export function fetchSend(
  fetchFn: typeof fetch,
  watch: (
    fetchFn: typeof fetch,
    url: string,
    init: RequestInit,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ) => Promise<Response>,
): HfSend {
  return async (url, init, timeoutMs, signal) => {
    const response = await watch(
      fetchFn,
      url,
      { method: init.method, headers: init.headers, body: init.body, redirect: "follow" },
      timeoutMs,
      signal,
    );
    let body: Readable | undefined;
    const nodeBody = (): Readable =>
      (body ??=
        response.body === null
          ? Readable.from([])
          : Readable.fromWeb(response.body as WebReadableStream<Uint8Array>));
    const text = (): Promise<string> =>
      body === undefined ? response.text() : nodeResponse(200, {}, body).text();
    return {
      status: response.status,
      headers: response.headers,
      get body() {
        return nodeBody();
      },
      text,
      json: async () => JSON.parse(await text()) as unknown,
      discard() {
        if (body === undefined) void response.body?.cancel().catch(() => {});
        else body.destroy();
      },
    };
  };
}
