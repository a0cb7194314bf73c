import { createHmac, timingSafeEqual } from "node:crypto";
import { decideCasAccess } from "./create-auth.ts";
import type { TokenScope } from "./create-auth.ts";
import { buildDedupShard, createDedupKey } from "./build-dedup-shard.ts";
import { ChunkDecodeError } from "./decode-chunk-payload.ts";
import { MAX_SHARD_BYTES } from "../../src/store/hf/xet/shard-format.ts";
import { ShardFormatError, parseShard } from "../../src/store/hf/xet/shard-reader.ts";
import { MAX_XORB_BODY_BYTES, XorbFormatError, parseXorb } from "./parse-xorb.ts";
import { planReconstruction } from "./plan-reconstruction.ts";
import { HttpError, parseRange, readBody, sendJson } from "./router.ts";
import type { Route, RouteContext } from "./router.ts";
import type { ServerDeps } from "./server-deps.ts";
import { ShardVerificationError, countUndersizedChunks, verifyShard } from "./verify-shard.ts";
import { isHashHex } from "./xet-hash.ts";
import type { XorbRecord } from "./create-storage.ts";

const HASH = "([0-9a-fA-F]{64})";
const PREFIX = "([^/]+)";

/** Path of the signed ("presigned") xorb download URLs handed out in reconstructions. */
export const TRANSFER_PATH = "/transfer/xorbs";

const requireCas = (deps: ServerDeps, context: RouteContext, need: TokenScope): void => {
  const identity = deps.auth.identifyCas(context.req.headers.authorization);
  const decision = decideCasAccess(identity, need);
  if (decision.ok) return;
  const message =
    decision.status === 403
      ? "This CAS token may only read: request a token from xet-write-token"
      : identity.kind === "expired"
        ? "CAS token expired: fetch a new one from the xet-read-token or xet-write-token endpoint"
        : "Missing or invalid CAS token: fetch one from the bucket's xet-read-token or xet-write-token endpoint (Hub tokens are not accepted here)";
  throw new HttpError(decision.status, message, decision.status === 401 ? "Unauthorized" : "Forbidden");
};

const drain = async (context: RouteContext): Promise<void> => {
  context.req.resume();
  if (!context.req.readableEnded) await new Promise((resolve) => context.req.once("end", resolve));
};

const sign = (secret: Uint8Array, hash: string, start: number, end: number, expires: number): string =>
  createHmac("sha256", secret).update(`${hash}:${start}-${end}:${expires}`).digest("hex");

/** Caps the chunk entries of one dedup answer (48 bytes each), keeping it far below the 64 MiB shard limit. */
const MAX_DEDUP_CHUNK_ENTRIES = 200_000;

/** Creates the Xet CAS endpoints. */
export function createCasRoutes(deps: ServerDeps): Route[] {
  const { storage, hasher, recorder } = deps;
  const dedupKey = createDedupKey(deps.dedupKey);

  // The real CAS answers a dedup query with the shard the chunk was registered in, so one query can cover
  // a whole multi-xorb file. Here: the matched xorb plus the xorbs of every file that uses it.
  const relatedXorbs = (first: XorbRecord): XorbRecord[] => {
    const out = new Map<string, XorbRecord>([[first.hash, first]]);
    let entries = first.chunks.length;
    for (const fileHash of storage.filesUsingXorb(first.hash)) {
      for (const term of storage.getFile(fileHash)?.terms ?? []) {
        const xorb = storage.getXorb(term.xorb);
        if (xorb === undefined || out.has(xorb.hash)) continue;
        if (entries + xorb.chunks.length > MAX_DEDUP_CHUNK_ENTRIES) return [...out.values()];
        out.set(xorb.hash, xorb);
        entries += xorb.chunks.length;
      }
    }
    return [...out.values()];
  };

  const xorbUpload: Route = {
    name: "cas-xorb",
    methods: ["POST", "HEAD"],
    pattern: new RegExp(`^/v1/xorbs/${PREFIX}/${HASH}$`),
    async handle(context) {
      const hash = (context.params[1] as string).toLowerCase();
      if (context.req.method === "HEAD") {
        requireCas(deps, context, "read");
        const stored = storage.getXorb(hash);
        context.res.writeHead(stored === undefined ? 404 : 200, { "Content-Length": stored?.size ?? 0 });
        context.res.end();
        return;
      }
      requireCas(deps, context, "write");
      if (storage.getXorb(hash) !== undefined) {
        // Known content: nothing new to store, so the body is not even parsed.
        await drain(context);
        recorder.count("xorbUploads");
        sendJson(context.res, 200, { was_inserted: false });
        return;
      }
      const body = await readBody(context.req, MAX_XORB_BODY_BYTES);
      let parsed;
      try {
        parsed = parseXorb(body, hasher);
      } catch (error) {
        if (error instanceof XorbFormatError || error instanceof ChunkDecodeError) {
          throw new HttpError(400, `Invalid xorb: ${error.message}`, "InvalidXorb");
        }
        throw error;
      }
      if (parsed.hash !== hash) {
        throw new HttpError(
          400,
          `Xorb hash mismatch: URL says ${hash}, chunks give ${parsed.hash}`,
          "HashMismatch",
        );
      }
      const inserted = await storage.putXorb({ hash, size: parsed.dataLength, chunks: parsed.chunks }, body);
      recorder.count("xorbUploads");
      if (inserted) {
        recorder.count("xorbsInserted");
        recorder.count("xorbBytesInserted", parsed.dataLength);
      }
      sendJson(context.res, 200, { was_inserted: inserted });
    },
  };

  // Verifies and registers an uploaded shard; both shard routes answer from this.
  const acceptShard = async (
    body: Uint8Array,
  ): Promise<{ ok: true; inserted: number } | { ok: false; message: string }> => {
    let files;
    try {
      files = verifyShard(parseShard(body), (h) => storage.getXorb(h), hasher);
    } catch (error) {
      if (error instanceof ShardFormatError || error instanceof ShardVerificationError) {
        return { ok: false, message: `Invalid shard: ${error.message}` };
      }
      throw error;
    }
    let inserted = 0;
    for (const file of files) {
      recorder.count("undersizedChunks", countUndersizedChunks(file, storage.getXorb));
      if (await storage.putFile(file)) inserted += 1;
    }
    recorder.count("shardUploads");
    recorder.count("filesInserted", inserted);
    return { ok: true, inserted };
  };

  const shardUpload: Route = {
    name: "cas-shard",
    methods: ["POST"],
    pattern: /^\/v1\/shards$/,
    async handle(context) {
      requireCas(deps, context, "write");
      const outcome = await acceptShard(await readBody(context.req, MAX_SHARD_BYTES));
      if (!outcome.ok) throw new HttpError(400, outcome.message, "InvalidShard");
      // 1 = "sync performed", 0 = "already there".
      sendJson(context.res, 200, { result: outcome.inserted > 0 ? 1 : 0 });
    },
  };

  // The shard route hf_xet tries first: 200 at once, then NDJSON progress frames ending in `result` or
  // `error` (the error travels in the stream, the status is already sent). Verification here takes
  // milliseconds, so no heartbeat frames are needed to keep the client's 300 s read timeout at bay.
  const shardUploadV2: Route = {
    name: "cas-shard-v2",
    methods: ["POST"],
    pattern: /^\/v2\/shards$/,
    async handle(context) {
      requireCas(deps, context, "write");
      const body = await readBody(context.req, MAX_SHARD_BYTES);
      context.res.writeHead(200, { "Content-Type": "application/x-ndjson" });
      const frame = (value: Record<string, unknown>): void => {
        context.res.write(`${JSON.stringify(value)}\n`);
      };
      frame({ type: "validating", verified: 0, total: 1 });
      const outcome = await acceptShard(body);
      if (outcome.ok) {
        frame({ type: "validating", verified: 1, total: 1 });
        frame({ type: "committing", stage: "uploading" });
        frame({ type: "committing", stage: "syncing" });
        frame({ type: "result" });
      } else {
        frame({ type: "error", message: outcome.message, retryable: false });
      }
      context.res.end();
    },
  };

  // The reference client reports transfer summaries here, fire and forget. The real service answers 200
  // and rejects bodies over 1 MiB with 413; the report itself is only counted.
  const telemetry: Route = {
    name: "cas-telemetry",
    methods: ["POST"],
    pattern: /^\/v1\/telemetry$/,
    async handle(context) {
      requireCas(deps, context, "read");
      const body = await readBody(context.req, 1024 * 1024);
      try {
        JSON.parse(body.toString("utf8"));
      } catch {
        throw new HttpError(400, "Telemetry body is not valid JSON", "BadRequest");
      }
      recorder.count("telemetryReports");
      sendJson(context.res, 200, {});
    },
  };

  const dedupQuery: Route = {
    name: "cas-chunk",
    methods: ["GET"],
    pattern: new RegExp(`^/v1/chunks/${PREFIX}/${HASH}$`),
    async handle(context) {
      requireCas(deps, context, "read");
      const found = storage.findChunk((context.params[1] as string).toLowerCase());
      const xorb = found === undefined ? undefined : storage.getXorb(found.xorb);
      if (xorb === undefined) throw new HttpError(404, "No xorb holds this chunk", "ChunkNotFound");
      recorder.count("dedupHits");
      const shard = buildDedupShard(relatedXorbs(xorb), Math.floor(deps.now() / 1000), await dedupKey);
      context.res.writeHead(200, {
        "Content-Type": "application/octet-stream",
        "Content-Length": shard.length,
      });
      context.res.end(shard);
    },
  };

  const fileInfo: Route = {
    name: "cas-file",
    methods: ["HEAD"],
    pattern: new RegExp(`^/v1/files/${HASH}$`),
    async handle(context) {
      requireCas(deps, context, "read");
      const file = storage.getFile((context.params[0] as string).toLowerCase());
      context.res.writeHead(file === undefined ? 404 : 200, { "Content-Length": file?.size ?? 0 });
      context.res.end();
    },
  };

  const reconstruction = (version: 1 | 2): Route => ({
    name: "cas-reconstruction",
    methods: ["GET"],
    pattern: new RegExp(`^/v${version}/reconstructions/${HASH}$`),
    async handle(context) {
      requireCas(deps, context, "read");
      const hash = (context.params[0] as string).toLowerCase();
      const file = storage.getFile(hash);
      if (file === undefined) throw new HttpError(404, `Unknown file ${hash}`, "FileNotFound");
      const range = parseRange(context.req.headers.range, file.size);
      if (range === "unsatisfiable") {
        throw new HttpError(416, "Range starts past the end of the file", "RangeNotSatisfiable", {
          "Content-Range": `bytes */${file.size}`,
        });
      }
      // Only the first range of a multi-range request is planned: clients ask for one.
      const [start, end] = range?.[0] ?? [0, file.size];
      const plan =
        file.size === 0
          ? { offsetIntoFirstRange: 0, terms: [] }
          : planReconstruction(file, storage.getXorb, start, end);
      const expires = Math.floor(deps.now() / 1000) + deps.transferUrlTtlSeconds;
      // One single-descriptor fetch per distinct chunk range: each needs its own URL (the JS client plans one
      // fetch per URL) and a descriptor that covers the whole term.
      const fetches = new Map<
        string,
        { xorb: string; chunks: [number, number]; bytes: [number, number]; url: string }
      >();
      for (const term of plan.terms) {
        const key = `${term.xorb}:${term.chunkStart}:${term.chunkEnd}`;
        if (fetches.has(key)) continue;
        const last = term.byteEnd - 1;
        const signature = sign(deps.urlSecret, term.xorb, term.byteStart, last, expires);
        fetches.set(key, {
          xorb: term.xorb,
          chunks: [term.chunkStart, term.chunkEnd],
          bytes: [term.byteStart, last],
          url: `${context.baseUrl}${TRANSFER_PATH}/${term.xorb}?range=${term.byteStart}-${last}&expires=${expires}&sig=${signature}`,
        });
      }
      const terms = plan.terms.map((t) => ({
        hash: t.xorb,
        unpacked_length: t.unpackedLength,
        range: { start: t.chunkStart, end: t.chunkEnd },
      }));
      const byXorb: Record<string, unknown[]> = {};
      for (const f of fetches.values()) {
        const chunks = { start: f.chunks[0], end: f.chunks[1] };
        const bytes = { start: f.bytes[0], end: f.bytes[1] };
        (byXorb[f.xorb] ??= []).push(
          version === 2
            ? { url: f.url, ranges: [{ chunks, bytes }] }
            : { range: chunks, url: f.url, url_range: bytes },
        );
      }
      sendJson(context.res, 200, {
        offset_into_first_range: plan.offsetIntoFirstRange,
        terms,
        ...(version === 2 ? { xorbs: byXorb } : { fetch_info: byXorb }),
      });
    },
  });

  const transfer: Route = {
    name: "cas-transfer",
    methods: ["GET"],
    pattern: new RegExp(`^${TRANSFER_PATH}/${HASH}$`),
    async handle(context) {
      const hash = (context.params[0] as string).toLowerCase();
      const query = context.url.searchParams;
      const signed = /^(\d+)-(\d+)$/.exec(query.get("range") ?? "");
      const expires = Number(query.get("expires"));
      const given = query.get("sig") ?? "";
      if (signed === null || !Number.isFinite(expires) || !isHashHex(hash)) {
        throw new HttpError(
          403,
          "Transfer URL is not signed: ask the reconstruction endpoint for a fresh one",
          "Forbidden",
        );
      }
      const signedStart = Number(signed[1]);
      const signedLast = Number(signed[2]);
      const expected = sign(deps.urlSecret, hash, signedStart, signedLast, expires);
      if (given.length !== expected.length || !timingSafeEqual(Buffer.from(given), Buffer.from(expected))) {
        throw new HttpError(
          403,
          "Bad transfer URL signature: ask the reconstruction endpoint for a fresh one",
          "Forbidden",
        );
      }
      if (expires * 1000 < deps.now()) {
        throw new HttpError(
          403,
          "Transfer URL expired: ask the reconstruction endpoint for a fresh one",
          "Forbidden",
        );
      }
      const xorb = storage.getXorb(hash);
      if (xorb === undefined) throw new HttpError(404, `Unknown xorb ${hash}`, "XorbNotFound");
      const range = parseRange(context.req.headers.range, xorb.size);
      if (range === "unsatisfiable" || (range !== null && range.length !== 1)) {
        throw new HttpError(416, "Exactly one satisfiable byte range is supported", "RangeNotSatisfiable", {
          "Content-Range": `bytes */${xorb.size}`,
        });
      }
      const [start, end] = range?.[0] ?? [signedStart, signedLast + 1];
      if (start < signedStart || end > signedLast + 1) {
        throw new HttpError(403, "Range lies outside the signed range of this URL", "Forbidden");
      }
      const bytes = await storage.readXorb(hash, start, end);
      context.res.writeHead(range === null ? 200 : 206, {
        "Content-Type": "application/octet-stream",
        "Content-Length": bytes.length,
        ...(range === null ? {} : { "Content-Range": `bytes ${start}-${end - 1}/${xorb.size}` }),
      });
      context.res.end(bytes);
    },
  };

  return [
    xorbUpload,
    shardUpload,
    shardUploadV2,
    telemetry,
    dedupQuery,
    fileInfo,
    reconstruction(2),
    reconstruction(1),
    transfer,
  ];
}
