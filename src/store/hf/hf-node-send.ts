/**
 * The default sender of the Hugging Face backend: node:http(s) with one keep-alive socket pool
 * per protocol, owned by the store. It exists for speed: `fetch` hands every body through web
 * streams (undici, a TransformStream for the idle timeout, `Readable.fromWeb`), which cost about
 * a fifth of a fetch's CPU on the model set and loaded Node's whole fetch stack into the start-up
 * of every hf command.
 *
 * Redirects are followed as `fetch` follows them: the real Hub answers `resolve` with a 302 to
 * its CDN, and the Hub token is not sent to another origin.
 */
import type { Agent as HttpAgent, IncomingMessage } from "node:http";
import type { Agent as HttpsAgent } from "node:https";
import { nodeResponse } from "./hf-response.ts";
import type { HfSend } from "./hf-response.ts";

/** As many redirects as `fetch` follows. */
const MAX_REDIRECTS = 20;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/**
 * An idle pooled socket is closed after this long (a request's own timeout replaces it while the
 * socket is in use). A server or load balancer that drops idle connections without saying so
 * would otherwise make the next request on that socket fail with ECONNRESET, which a request that
 * may not be repeated (a registration batch) cannot retry. 4 s, as undici's keep-alive default;
 * a server's `Keep-Alive: timeout=` hint shortens it (Node's agent reads it).
 */
const IDLE_SOCKET_MS = 4_000;

export interface NodeSender {
  send: HfSend;
  /** Closes the pooled sockets. */
  close(): void;
}

export interface NodeSenderOptions {
  /** Connections per host. */
  maxSockets: number;
  /**
   * The environment: with `NODE_USE_ENV_PROXY=1`, requests go through its `HTTP_PROXY` /
   * `HTTPS_PROXY` (minus `NO_PROXY`), as Node's `fetch` then does (Node 22.21 / 24.5 and later;
   * older versions ignore both).
   */
  env: Readonly<Record<string, string | undefined>>;
}

/** Creates the sender of one store. */
export function createNodeSender(options: NodeSenderOptions): NodeSender {
  const { maxSockets } = options;
  const proxyEnv = options.env.NODE_USE_ENV_PROXY === "1" ? { ...options.env } : undefined;
  const agents = new Map<string, HttpAgent | HttpsAgent>();
  const agentFor = (protocol: string): HttpAgent | HttpsAgent => {
    let agent = agents.get(protocol);
    if (agent === undefined) {
      // getBuiltinModule, not an ES import: importing node:http evaluates its lazy getters and
      // loads Node's fetch stack at start-up (see src/store/s3/fast-transport.ts).
      const { Agent } =
        protocol === "https:"
          ? process.getBuiltinModule("node:https")
          : process.getBuiltinModule("node:http");
      agent = new Agent({
        keepAlive: true,
        maxSockets,
        maxFreeSockets: maxSockets,
        timeout: IDLE_SOCKET_MS,
        ...(proxyEnv === undefined ? {} : { proxyEnv }),
      });
      agents.set(protocol, agent);
    }
    return agent;
  };

  const send: HfSend = async (url, init, timeoutMs, signal) => {
    let target = new URL(url);
    let { method, body } = init;
    let headers = init.headers;
    for (let hop = 0; ; hop++) {
      const res = await sendOnce(target, method, headers, body, timeoutMs, signal, agentFor);
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (!REDIRECTS.has(status) || location === undefined || hop >= MAX_REDIRECTS) {
        return nodeResponse(status, res.headers, res);
      }
      res.resume();
      const next = new URL(location, target);
      if (next.origin !== target.origin) headers = withoutAuthorization(headers);
      if (
        (status === 303 && method !== "HEAD") ||
        ((status === 301 || status === 302) && method === "POST")
      ) {
        method = "GET";
        body = undefined;
      }
      target = next;
    }
  };

  return {
    send,
    close() {
      for (const agent of agents.values()) agent.destroy();
      agents.clear();
    },
  };
}

// --- internal ---

function sendOnce(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  agentFor: (protocol: string) => HttpAgent | HttpsAgent,
): Promise<IncomingMessage> {
  const request =
    url.protocol === "https:"
      ? process.getBuiltinModule("node:https").request
      : process.getBuiltinModule("node:http").request;
  const payload = body === undefined ? undefined : Buffer.from(body, "utf8");
  const outgoing: Record<string, string> = { ...headers };
  if (payload !== undefined) outgoing["Content-Length"] = String(payload.length);
  return new Promise((resolve, reject) => {
    let response: IncomingMessage | undefined;
    const req = request(url, { method, headers: outgoing, agent: agentFor(url.protocol), signal }, (res) => {
      response = res;
      resolve(res);
    });
    // The socket's idle timer covers the connection, the wait for headers and every silence
    // while the body streams: a stalled download fails (as a timeout, which the stall watch
    // counts) instead of hanging.
    req.setTimeout(timeoutMs, () => {
      const error = new Error(`no answer within ${timeoutMs} ms`);
      error.name = "TimeoutError";
      response?.destroy(error);
      req.destroy(error);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

function withoutAuthorization(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.toLowerCase() !== "authorization"),
  );
}
