/**
 * A fault-injecting HTTP proxy on 127.0.0.1 in front of the S3 test server. Clients take its
 * `url` as their S3 endpoint and sign for its host; requests go on with their headers untouched,
 * so the server checks the very signature the client made. Rules pick requests by method and a
 * pattern on the path (bucket and key) and query, and hit them deterministically (seeded): reset
 * the connection, answer 503 SlowDown with Retry-After, cut the response body short, flip a byte
 * of it or of the request body, or hold the request unanswered. Every rule can be bounded (`times`), every held request
 * is released by `close()`, and the proxy closes itself after `lifetimeMs` so a test that forgets
 * it never leaves it running.
 */
import { Agent, createServer, request } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { Transform } from "node:stream";
import type { TransformCallback } from "node:stream";
import { createRandom } from "../../tools/hub-server/create-faults.ts";

/** Which requests a rule applies to, and how often it fires. */
export interface S3FaultMatch {
  /** HTTP method (GET, PUT, HEAD, POST, DELETE); every method when absent. */
  method?: string;
  /** Tested against the decoded path and query, e.g. `/bucket/neuronxcc-2.21/MODULE_x/model.neff`. */
  path?: RegExp;
  /** Chance that a matching request is hit, drawn from the seeded generator; 1 when absent. */
  probability?: number;
  /** Stop after this many hits; unlimited when absent. */
  times?: number;
  /** Let this many matching requests through untouched first. */
  skip?: number;
}

export type S3FaultRule = S3FaultMatch &
  (
    | { kind: "reset" }
    | { kind: "status"; status?: number; code?: string; retryAfter?: number }
    | { kind: "truncate"; afterBytes?: number }
    | { kind: "flip"; atByte?: number }
    /** Flips a byte of the request body on its way to the server (an upload damaged in transit). */
    | { kind: "flip-upload"; atByte?: number }
    | { kind: "hang" }
  );

export type S3FaultKind = S3FaultRule["kind"];

/** One request the proxy saw, and what it did to it. */
export interface S3ProxyRequest {
  method: string;
  path: string;
  fault: S3FaultKind | null;
  /** The request's Range header, when it had one. */
  range?: string;
}

export interface S3FaultProxyOptions {
  /** The S3 server to forward to, e.g. `http://127.0.0.1:7480`. */
  target: string;
  rules?: readonly S3FaultRule[];
  /** Seed of every rule's generator; the same seed gives the same hits for the same requests. */
  seed?: number;
  /** The proxy closes itself after this long; 10 minutes when absent. */
  lifetimeMs?: number;
}

export interface S3FaultProxy {
  /** `http://127.0.0.1:<port>`: give it to clients as their S3 endpoint. */
  url: string;
  add(rule: S3FaultRule): void;
  /** Removes every rule (requests held so far stay held until `close()`). */
  clear(): void;
  /** Faults injected so far, by kind. */
  injected(): Partial<Record<S3FaultKind, number>> & { total: number };
  /** Every request seen so far, oldest first. */
  requests(): readonly S3ProxyRequest[];
  /** Requests held unanswered right now. */
  held(): number;
  /** Releases held requests (their connections are reset) and stops the proxy. */
  close(): Promise<void>;
}

const DEFAULT_LIFETIME_MS = 10 * 60_000;

interface RuleState {
  rule: S3FaultRule;
  seen: number;
  hits: number;
  random: () => number;
}

/** Starts the proxy on a free loopback port. */
export async function startS3FaultProxy(options: S3FaultProxyOptions): Promise<S3FaultProxy> {
  const upstream = new URL(options.target);
  const seed = options.seed ?? 1;
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const rules: RuleState[] = [];
  const log: S3ProxyRequest[] = [];
  const injected: Partial<Record<S3FaultKind, number>> & { total: number } = { total: 0 };
  const heldSockets = new Set<Socket>();
  const add = (rule: S3FaultRule): void => {
    rules.push({
      rule,
      seen: 0,
      hits: 0,
      random: createRandom(seed + Math.imul(rules.length + 1, 0x9e3779b9)),
    });
  };
  (options.rules ?? []).forEach(add);

  const pick = (method: string, target: string): S3FaultRule | null => {
    for (const state of rules) {
      const { rule } = state;
      if (rule.method !== undefined && rule.method.toUpperCase() !== method) continue;
      if (rule.path !== undefined && !rule.path.test(target)) continue;
      state.seen += 1;
      if (state.seen <= (rule.skip ?? 0)) continue;
      if (rule.times !== undefined && state.hits >= rule.times) continue;
      const probability = rule.probability ?? 1;
      if (probability < 1 && state.random() >= probability) continue;
      state.hits += 1;
      return rule;
    }
    return null;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, rule: S3FaultRule | null): void => {
    const upstreamRequest = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const length = Number(answer.headers["content-length"] ?? NaN);
        if (rule?.kind === "truncate") {
          const keep = rule.afterBytes ?? (Number.isFinite(length) ? Math.floor(length / 2) : 0);
          // The socket, not the response: a response already detached from it would not close it.
          answer.pipe(cutAfter(keep, () => req.socket.destroy())).pipe(res);
        } else if (rule?.kind === "flip") {
          const at = rule.atByte ?? (Number.isFinite(length) ? Math.floor(length / 2) : 0);
          answer.pipe(flipByteAt(at)).pipe(res);
        } else {
          answer.pipe(res);
        }
      },
    );
    upstreamRequest.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(error));
    });
    if (rule?.kind === "flip-upload") {
      const length = Number(req.headers["content-length"] ?? NaN);
      const at = rule.atByte ?? (Number.isFinite(length) ? Math.floor(length / 2) : 0);
      req.pipe(flipByteAt(at)).pipe(upstreamRequest);
    } else {
      req.pipe(upstreamRequest);
    }
  };

  const server = createServer((req, res) => {
    const method = (req.method ?? "GET").toUpperCase();
    const target = decodePath(req.url ?? "/");
    const rule = pick(method, target);
    const fault = rule?.kind ?? null;
    const range = req.headers.range;
    log.push(range === undefined ? { method, path: target, fault } : { method, path: target, fault, range });
    if (rule !== null) {
      injected[rule.kind] = (injected[rule.kind] ?? 0) + 1;
      injected.total += 1;
    }
    switch (rule?.kind) {
      case "reset":
        req.socket.resetAndDestroy();
        return;
      case "hang":
        heldSockets.add(req.socket);
        req.socket.once("close", () => heldSockets.delete(req.socket));
        req.resume();
        return;
      case "status":
        req.resume();
        req.once("end", () => {
          const status = rule.status ?? 503;
          const code = rule.code ?? (status === 503 ? "SlowDown" : "InternalError");
          const headers: Record<string, string> = { "content-type": "application/xml" };
          if (rule.retryAfter !== undefined) headers["retry-after"] = String(rule.retryAfter);
          res.writeHead(status, headers);
          res.end(
            `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>Injected fault</Message></Error>`,
          );
        });
        return;
      default:
        forward(req, res, rule);
    }
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearTimeout(lifetime);
      for (const socket of heldSockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    })();
    return closing;
  };
  const lifetime = setTimeout(() => void close(), options.lifetimeMs ?? DEFAULT_LIFETIME_MS);
  lifetime.unref();

  return {
    url: `http://127.0.0.1:${port}`,
    add,
    clear: () => {
      rules.length = 0;
    },
    injected: () => ({ ...injected }),
    requests: () => [...log],
    held: () => heldSockets.size,
    close,
  };
}

function decodePath(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}

/** Passes `keep` bytes, then calls `cut` (which destroys the client's connection mid-body). */
function cutAfter(keep: number, cut: () => void): Transform {
  let passed = 0;
  let done = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (done) return callback();
      const room = keep - passed;
      if (chunk.length < room) {
        passed += chunk.length;
        return callback(null, chunk);
      }
      done = true;
      if (room > 0) this.push(chunk.subarray(0, room));
      // Let the kept bytes reach the socket before it is destroyed.
      setImmediate(cut);
      callback();
    },
  });
}

/** Inverts the bits of the byte at offset `at` of the stream. */
function flipByteAt(at: number): Transform {
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      if (at >= offset && at < offset + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[at - offset] = (copy[at - offset] ?? 0) ^ 0xff;
        chunk = copy;
      }
      offset += chunk.length;
      callback(null, chunk);
    },
  });
}
