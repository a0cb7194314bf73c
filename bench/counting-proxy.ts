/**
 * A pass-through HTTP proxy on 127.0.0.1 that counts S3 requests by kind. Clients sign for the
 * proxy's host, and the request is forwarded with its headers untouched, so the gateway checks
 * the very signature the client made.
 */
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { classifyS3Request } from "./classify-s3-request.ts";
import type { S3RequestKind } from "./classify-s3-request.ts";

export type RequestCounts = Partial<Record<S3RequestKind, number>> & { total: number };

/** How many requests were open at once: the client's effective parallelism. */
export interface InFlight {
  max: number;
  /** Time-weighted mean from the first request's arrival to the last one's end. */
  mean: number;
}

export interface CountingProxy {
  /** `http://127.0.0.1:<port>`: give it to clients as their S3 endpoint. */
  url: string;
  /** Counts since the last `reset()`. */
  counts(): RequestCounts;
  /** Parallelism since the last `reset()`. */
  inFlight(): InFlight;
  reset(): void;
  close(): Promise<void>;
}

/** Names a request's kind from its method, path with query, and whether it names a copy source. */
export type RequestClassifier = (method: string, url: string, hasCopySource: boolean) => S3RequestKind;

/** A proxy to `target`; requests are counted by `classify` (S3 operations unless told otherwise). */
export async function createCountingProxy(
  target: string,
  classify: RequestClassifier = classifyS3Request,
): Promise<CountingProxy> {
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  let counts: RequestCounts = { total: 0 };
  // Integral of open requests over time, to get their mean.
  let open = 0;
  let maxOpen = 0;
  let area = 0;
  let first: number | null = null;
  let last = 0;
  const tick = (delta: number): void => {
    const now = performance.now();
    if (first === null) first = now;
    else area += open * (now - last);
    last = now;
    open += delta;
    maxOpen = Math.max(maxOpen, open);
  };
  const server = createServer((req, res) => {
    tick(1);
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      tick(-1);
    };
    res.on("close", end);
    const kind = classify(
      req.method ?? "GET",
      req.url ?? "/",
      req.headers["x-amz-copy-source"] !== undefined,
    );
    counts[kind] = (counts[kind] ?? 0) + 1;
    counts.total += 1;
    const forward = request(
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
        answer.pipe(res);
      },
    );
    forward.on("error", (error) => {
      if (!res.headersSent) res.writeHead(502);
      res.end(String(error));
    });
    req.pipe(forward);
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () => ({ ...counts }),
    inFlight: () => ({
      max: maxOpen,
      mean: first === null || last === first ? 0 : Math.round((area / (last - first)) * 10) / 10,
    }),
    reset: () => {
      counts = { total: 0 };
      maxOpen = open;
      area = 0;
      first = null;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
}
