import type { IncomingMessage, ServerResponse } from "node:http";

/** What a route handler gets. */
export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Raw (still percent-encoded) capture groups of the route pattern. */
  params: string[];
  /** `http://host:port` as the client addressed the server. */
  baseUrl: string;
}

/** One endpoint. */
export interface Route {
  /** Stable name used by fault rules and request counters. */
  name: string;
  methods: readonly string[];
  /** Matched against the raw path (before percent-decoding, so `%2F` stays distinguishable). */
  pattern: RegExp;
  handle(context: RouteContext): Promise<void>;
}

/** An error that maps to an HTTP answer. */
export class HttpError extends Error {
  override name = "HttpError";
  readonly status: number;
  readonly code: string | null;
  readonly headers: Record<string, string>;
  constructor(
    status: number,
    message: string,
    code: string | null = null,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

/** Finds the route for a request; null when none matches (404), or the allowed methods (405). */
export function matchRoute(
  routes: readonly Route[],
  method: string,
  rawPath: string,
): { route: Route; params: string[] } | { allowed: string[] } | null {
  const allowed: string[] = [];
  for (const route of routes) {
    const match = route.pattern.exec(rawPath);
    if (match === null) continue;
    if (route.methods.includes(method)) return { route, params: match.slice(1).map((p) => p ?? "") };
    allowed.push(...route.methods);
  }
  return allowed.length > 0 ? { allowed } : null;
}

/** Sends a JSON body. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Sends a Hub-style error: JSON `{error}` plus `X-Error-Code` / `X-Error-Message`. */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  code: string | null = null,
  headers: Record<string, string> = {},
): void {
  const extra: Record<string, string> = {
    ...headers,
    "X-Error-Message": message.replace(/[^\x20-\x7e]/g, "?"),
  };
  if (code !== null) extra["X-Error-Code"] = code;
  sendJson(res, status, { error: message }, extra);
}

/**
 * Reads a whole request body into one buffer. With a Content-Length the buffer is allocated once and
 * filled in place, so a large body is never copied twice.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers["content-length"];
  if (declared !== undefined) {
    const length = Number(declared);
    if (!Number.isSafeInteger(length) || length < 0) throw new HttpError(400, "invalid Content-Length");
    if (length > maxBytes) throw new HttpError(413, `body of ${length} bytes exceeds ${maxBytes}`);
    const out = Buffer.allocUnsafe(length);
    let filled = 0;
    for await (const piece of req as AsyncIterable<Buffer>) {
      if (filled + piece.length > length) throw new HttpError(400, "body longer than Content-Length");
      piece.copy(out, filled);
      filled += piece.length;
    }
    if (filled !== length) throw new HttpError(400, "body shorter than Content-Length");
    return out;
  }
  const pieces: Buffer[] = [];
  let total = 0;
  for await (const piece of req as AsyncIterable<Buffer>) {
    total += piece.length;
    if (total > maxBytes) throw new HttpError(413, `body exceeds ${maxBytes} bytes`);
    pieces.push(piece);
  }
  return Buffer.concat(pieces, total);
}

/** Decodes a raw path tail: each `/`-separated segment is percent-decoded, so `a%2Fb` and `a/b` are equal. */
export function decodePathTail(raw: string): string {
  return raw
    .split("/")
    .map((segment) => decodeURIComponent(segment))
    .join("/");
}

/**
 * Parses a `Range: bytes=…` header against a size. Returns null when absent, "unsatisfiable" for a range
 * starting at or past the end, else inclusive-exclusive `[start, end)` pairs.
 */
export function parseRange(
  header: string | undefined,
  size: number,
): [number, number][] | "unsatisfiable" | null {
  if (header === undefined) return null;
  const match = /^bytes=(.+)$/.exec(header.trim());
  if (match === null) return null;
  const out: [number, number][] = [];
  for (const part of (match[1] as string).split(",")) {
    const spec = /^\s*(\d*)-(\d*)\s*$/.exec(part);
    if (spec === null) return null;
    const [, first = "", last = ""] = spec;
    if (first === "" && last === "") return null;
    if (first === "") {
      const suffix = Number(last);
      if (suffix === 0) return "unsatisfiable";
      out.push([Math.max(0, size - suffix), size]);
      continue;
    }
    const start = Number(first);
    const end = last === "" ? size : Math.min(size, Number(last) + 1);
    if (start >= size || end <= start) return "unsatisfiable";
    out.push([start, end]);
  }
  return out;
}
