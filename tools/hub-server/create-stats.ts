import type { StorageTotals } from "./create-storage.ts";

/** One served (or faulted) request. Never holds headers, so never a token. */
export interface RequestLogEntry {
  method: string;
  route: string;
  /** URL path without the query string. */
  path: string;
  status: number;
  /** Set when a fault was injected: "status", "drop" or "delay". */
  fault?: string;
}

/** Counters of CAS uploads. */
export interface UploadCounters {
  /** Xorb POSTs that passed verification. */
  xorbUploads: number;
  /** Xorbs that were new and got stored. */
  xorbsInserted: number;
  /** Xorb bytes that got stored. */
  xorbBytesInserted: number;
  /** Shard POSTs that passed verification. */
  shardUploads: number;
  /** File reconstructions that were new. */
  filesInserted: number;
  /** Global-dedup queries answered with a match. */
  dedupHits: number;
  /**
   * Chunks below the 8 KiB minimum that are not the last chunk of their file, over the files of every
   * accepted shard. A conformant chunker (xet-core's) never cuts one, so tests assert zero.
   */
  undersizedChunks: number;
  /** Telemetry reports received (`POST /v1/telemetry`). */
  telemetryReports: number;
}

/** What tests and benchmarks read about the traffic and the store. */
export interface HubServerStats {
  /** Requests seen for one route, or for all routes. */
  requests(route?: string): number;
  /** Requests per route. */
  byRoute(): Record<string, number>;
  /** The most recent requests (at most 10,000), oldest first. */
  log(): readonly RequestLogEntry[];
  uploads(): UploadCounters;
  storage(): StorageTotals;
  /** Zeroes counters and the log; stored data stays. */
  reset(): void;
}

/** The stats plus the server's recording side. */
export interface StatsRecorder {
  stats: HubServerStats;
  record(entry: RequestLogEntry): void;
  count(counter: keyof UploadCounters, amount?: number): void;
}

const LOG_LIMIT = 10_000;

const zeroCounters = (): UploadCounters => ({
  xorbUploads: 0,
  xorbsInserted: 0,
  xorbBytesInserted: 0,
  shardUploads: 0,
  filesInserted: 0,
  dedupHits: 0,
  undersizedChunks: 0,
  telemetryReports: 0,
});

/** Creates the counters. */
export function createStats(storageTotals: () => StorageTotals): StatsRecorder {
  let perRoute = new Map<string, number>();
  let total = 0;
  let entries: RequestLogEntry[] = [];
  let counters = zeroCounters();
  return {
    stats: {
      requests: (route) => (route === undefined ? total : (perRoute.get(route) ?? 0)),
      byRoute: () => Object.fromEntries(perRoute),
      log: () => entries,
      uploads: () => ({ ...counters }),
      storage: storageTotals,
      reset: () => {
        perRoute = new Map();
        total = 0;
        entries = [];
        counters = zeroCounters();
      },
    },
    record(entry) {
      total += 1;
      perRoute.set(entry.route, (perRoute.get(entry.route) ?? 0) + 1);
      entries.push(entry);
      if (entries.length > LOG_LIMIT) entries = entries.slice(-LOG_LIMIT / 2);
    },
    count(counter, amount = 1) {
      counters[counter] += amount;
    },
  };
}
