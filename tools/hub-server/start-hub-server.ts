import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { createCasRoutes } from "./cas-routes.ts";
import { createAuth } from "./create-auth.ts";
import type { HubTokenOption } from "./create-auth.ts";
import { createFaults } from "./create-faults.ts";
import type { FaultController, FaultRule } from "./create-faults.ts";
import { createStats } from "./create-stats.ts";
import type { HubServerStats } from "./create-stats.ts";
import { createStorage } from "./create-storage.ts";
import { createHubRoutes } from "./hub-routes.ts";
import { HttpError, matchRoute, sendError } from "./router.ts";
import type { Route } from "./router.ts";
import type { ServerDeps } from "./server-deps.ts";
import { createXetHasher } from "./xet-hash.ts";

/** Options of {@link startHubServer}. */
export interface HubServerOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; 127.0.0.1 by default. */
  host?: string;
  /** Hub tokens the server accepts. */
  tokens: readonly HubTokenOption[];
  /** Seed of the fault-injection generators; 1 by default. */
  seed?: number;
  /** Fault rules active from the start; more can be added through `faults`. */
  faults?: readonly FaultRule[];
  /** Directory to persist into; in memory when absent. */
  dataDir?: string;
  /** Lifetime of issued CAS tokens, 3600 s by default. Clients refetch tokens that expire within 60 s. */
  casTokenTtlSeconds?: number;
  /** Whether buckets created without a visibility are private (true by default, unlike the real Hub). */
  privateByDefault?: boolean;
  /** Clock in epoch milliseconds, for tests. */
  now?: () => number;
  /**
   * Key of the chunk hashes in global-dedup answers (the shard footer's HMAC key), or null for raw
   * hashes. Random per server by default: the real CAS keys its answers, so a client can match only
   * chunks it holds itself.
   */
  dedupKey?: Uint8Array | null;
}

/** A running server. */
export interface HubServer {
  /** `http://host:port`: the `hubUrl` for clients; the CAS answers on the same origin. */
  url: string;
  port: number;
  /** Stops listening and cuts open connections. */
  close(): Promise<void>;
  faults: FaultController;
  stats: HubServerStats;
}

/** Route names for fault rules and request counters. */
export const ROUTE_NAMES = [
  "bucket-create",
  "bucket-info",
  "bucket-delete",
  "bucket-list",
  "tree",
  "paths-info",
  "xet-write-token",
  "xet-read-token",
  "batch",
  "resolve",
  "cas-xorb",
  "cas-shard",
  "cas-chunk",
  "cas-file",
  "cas-reconstruction",
  "cas-transfer",
] as const;

/** Name under which unmatched requests are counted. */
const UNMATCHED_ROUTE = "unmatched";

/**
 * Starts a local Hugging Face bucket server: the Hub bucket API and a Xet CAS on one origin.
 */
export async function startHubServer(options: HubServerOptions): Promise<HubServer> {
  const now = options.now ?? Date.now;
  const storage = await createStorage(
    options.dataDir === undefined ? { now } : { dataDir: options.dataDir, now },
  );
  const recorder = createStats(() => storage.totals());
  const faults = createFaults(options.seed ?? 1, options.faults ?? []);
  const deps: ServerDeps = {
    storage,
    auth: createAuth({ tokens: options.tokens, casTokenTtlSeconds: options.casTokenTtlSeconds ?? 3600, now }),
    faults,
    recorder,
    hasher: await createXetHasher(),
    dedupKey: options.dedupKey === undefined ? randomBytes(32) : options.dedupKey,
    now,
    urlSecret: randomBytes(32),
    transferUrlTtlSeconds: 3600,
    privateByDefault: options.privateByDefault ?? true,
  };
  const routes: Route[] = [...createHubRoutes(deps), ...createCasRoutes(deps)];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? "GET";
    const baseUrl = `http://${req.headers.host ?? "127.0.0.1"}`;
    const url = new URL(req.url ?? "/", baseUrl);
    const rawPath = (req.url ?? "/").split("?")[0] as string;
    const found = matchRoute(routes, method, rawPath);
    const routeName = found !== null && "route" in found ? found.route.name : UNMATCHED_ROUTE;
    let fault: string | undefined;
    res.once("close", () => {
      const entry = {
        method,
        route: routeName,
        path: url.pathname,
        status: res.headersSent ? res.statusCode : 0,
      };
      recorder.record(fault === undefined ? entry : { ...entry, fault });
    });
    try {
      if (found === null) throw new HttpError(404, `No route for ${method} ${url.pathname}`, "NotFound");
      if ("allowed" in found) {
        throw new HttpError(405, `Method ${method} not allowed here`, "MethodNotAllowed", {
          Allow: found.allowed.join(", "),
        });
      }
      const injected = faults.forRequest(routeName, decodeURIComponent(url.pathname));
      if (injected.delayMs > 0) {
        fault = "delay";
        await sleep(injected.delayMs);
      }
      if (injected.action?.kind === "drop") {
        fault = "drop";
        req.socket.destroy();
        return;
      }
      if (injected.action?.kind === "status") {
        fault = "status";
        const headers: Record<string, string> = {};
        if (injected.action.retryAfter !== undefined) {
          headers["Retry-After"] = String(injected.action.retryAfter);
          if (injected.action.status === 429) headers.RateLimit = `"api";r=0;t=${injected.action.retryAfter}`;
        }
        // The body is read and dropped first: answering mid-upload would make the client see a reset
        // instead of the status it is meant to handle.
        req.resume();
        if (!req.readableEnded) await new Promise((resolve) => req.once("end", resolve));
        sendError(
          res,
          injected.action.status,
          `Injected ${injected.action.status}`,
          "InjectedFault",
          headers,
        );
        return;
      }
      if (injected.action?.kind === "cut") {
        fault = "cut";
        cutBodyAfter(res, injected.action.afterBytes);
      }
      await found.route.handle({ req, res, url, params: found.params, baseUrl });
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        sendError(res, error.status, error.message, error.code, error.headers);
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      sendError(res, 500, `Internal error: ${message}`, "InternalError");
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  // Large xorb uploads on a loaded machine must not hit Node's default request timeout.
  server.requestTimeout = 0;
  // Clients may chunk for several seconds between two requests on one kept-alive socket; with Node's 5 s
  // default the server can close it just as a large upload starts (ECONNRESET). Hosted services keep ~60 s.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    faults,
    stats: recorder.stats,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}

/**
 * Lets `afterBytes` bytes of the response body out (half of the first non-empty write when
 * undefined), then destroys the connection: the client has the headers and a body cut short.
 */
function cutBodyAfter(res: ServerResponse, afterBytes: number | undefined): void {
  let budget = afterBytes;
  let cut = false;
  const write = res.write.bind(res) as (chunk: Buffer, done?: () => void) => boolean;
  const end = res.end.bind(res) as (chunk?: Buffer) => ServerResponse;
  const take = (chunk: unknown): Buffer | null => {
    if (cut) return null;
    const bytes = typeof chunk === "string" ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    if (bytes.length === 0) return bytes;
    budget ??= Math.floor(bytes.length / 2);
    if (bytes.length <= budget) {
      budget -= bytes.length;
      return bytes;
    }
    cut = true;
    write(bytes.subarray(0, budget), () => res.socket?.destroy());
    return null;
  };
  res.write = ((chunk: unknown) => {
    const bytes = take(chunk);
    return bytes === null ? false : write(bytes);
  }) as typeof res.write;
  res.end = ((chunk?: unknown) => {
    if (chunk === undefined || typeof chunk === "function") {
      if (!cut) end();
      return res;
    }
    const bytes = take(chunk);
    if (bytes !== null) end(bytes);
    return res;
  }) as typeof res.end;
}
