/**
 * The CAS answers as the reference client (xet-core's hf_xet) needs: its limits, `/v2/shards` with NDJSON
 * frames, telemetry, keyed global-dedup answers, and the count of chunks no conformant chunker cuts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_XORB_CHUNKS, MAX_XORB_DATA_BYTES } from "./parse-xorb.ts";
import { startHubServer } from "./start-hub-server.ts";
import type { HubServer } from "./start-hub-server.ts";
import { parseShard } from "../../src/store/hf/xet/shard-reader.ts";
import { createKeyedChunkHash, hashToHex, hexToHash } from "../../src/store/hf/xet/xet-hash.ts";
import { createXetHasher } from "./xet-hash.ts";
import type { XetHasher } from "./xet-hash.ts";
import { buildFixtureShard, buildFixtureXorb } from "./xet-test-fixtures.ts";
import type { FixtureChunk, FixtureXorb } from "./xet-test-fixtures.ts";

const WRITE = "hf_cas_routes_write";
const KiB = 1024;

describe("CAS routes", () => {
  let server: HubServer;
  let hasher: XetHasher;
  let casToken: string;
  const cas = (path: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${casToken}` },
    });
  const putXorb = (xorb: FixtureXorb): Promise<Response> =>
    cas(`/v1/xorbs/default/${xorb.hash}`, { method: "POST", body: xorb.bytes });
  // A chunk of `length` bytes whose content differs with `seed`, so xorbs do not collide.
  const chunk = (length: number, seed: number): FixtureChunk => {
    const data = Buffer.alloc(length, seed & 0xff);
    if (length >= 4) data.writeUInt32LE(seed, 0);
    return { data };
  };

  beforeAll(async () => {
    hasher = await createXetHasher();
    server = await startHubServer({ tokens: [{ token: WRITE, scope: "write" }] });
    const create = await fetch(`${server.url}/api/buckets/ns/cas-routes`, {
      method: "POST",
      headers: { Authorization: `Bearer ${WRITE}` },
      body: "{}",
    });
    expect(create.status).toBe(200);
    const issued = await fetch(`${server.url}/api/buckets/ns/cas-routes/xet-write-token`, {
      headers: { Authorization: `Bearer ${WRITE}` },
    });
    casToken = ((await issued.json()) as { accessToken: string }).accessToken;
  });
  afterAll(async () => {
    await server.close();
  });

  it("takes 64 MiB of chunk data though the serialized xorb is larger, and refuses a byte more", async () => {
    const full = Array.from({ length: MAX_XORB_DATA_BYTES / (128 * KiB) }, (_, i) => chunk(128 * KiB, i));
    const atLimit = buildFixtureXorb(hasher, full);
    // What hf_xet sends: the data limit plus one 8-byte header per chunk.
    expect(atLimit.bytes.length).toBe(MAX_XORB_DATA_BYTES + full.length * 8);
    const accepted = await putXorb(atLimit);
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toEqual({ was_inserted: true });

    const over = buildFixtureXorb(hasher, [...full.slice(1), chunk(128 * KiB, 9999), chunk(1, 1)]);
    const refused = await putXorb(over);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/more than 64 MiB of chunk data/);
  });

  it(`refuses a xorb of more than ${MAX_XORB_CHUNKS} chunks`, async () => {
    const many = Array.from({ length: MAX_XORB_CHUNKS + 1 }, (_, i) => ({
      data: Uint8Array.of(i & 0xff, i >> 8),
    }));
    const refused = await putXorb(buildFixtureXorb(hasher, many));
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/more than 8192 chunks/);
    expect((await putXorb(buildFixtureXorb(hasher, many.slice(1)))).status).toBe(200);
  });

  it("answers /v2/shards with NDJSON frames ending in result, or in an error frame", async () => {
    const xorb = buildFixtureXorb(hasher, [chunk(20 * KiB, 1), chunk(9 * KiB, 2)]);
    expect((await putXorb(xorb)).status).toBe(200);
    const shard = buildFixtureShard(hasher, [{ terms: [{ xorb, start: 0, end: 2 }] }], [xorb]);
    const answer = await cas("/v2/shards", { method: "POST", body: shard });
    expect(answer.status).toBe(200);
    expect(answer.headers.get("content-type")).toBe("application/x-ndjson");
    const frames = (await answer.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { type: string });
    expect(frames.at(0)).toEqual({ type: "validating", verified: 0, total: 1 });
    expect(frames.at(-1)).toEqual({ type: "result" });

    const wrong = buildFixtureShard(
      hasher,
      [{ terms: [{ xorb, start: 0, end: 2 }], hash: "ab".repeat(32) }],
      [xorb],
    );
    const failed = await cas("/v2/shards", { method: "POST", body: wrong });
    expect(failed.status).toBe(200);
    const last = JSON.parse((await failed.text()).trim().split("\n").at(-1) as string) as Record<
      string,
      unknown
    >;
    expect(last).toMatchObject({ type: "error", retryable: false });
    expect(last.message).toMatch(/does not match its chunks/);
    // v1 says the same with a status.
    expect((await cas("/v1/shards", { method: "POST", body: wrong })).status).toBe(400);
  });

  it("counts non-final chunks below 8 KiB, and only those", async () => {
    server.stats.reset();
    const good = buildFixtureXorb(hasher, [chunk(64 * KiB, 3), chunk(100, 4)]);
    const bad = buildFixtureXorb(hasher, [
      chunk(64 * KiB, 5),
      chunk(3 * KiB, 6),
      chunk(8 * KiB - 1, 7),
      chunk(10 * KiB, 8),
    ]);
    for (const xorb of [good, bad]) expect((await putXorb(xorb)).status).toBe(200);
    const shard = buildFixtureShard(
      hasher,
      [
        // A short last chunk is what every file's tail may be.
        { terms: [{ xorb: good, start: 0, end: 2 }] },
        // Two short chunks in the middle: a chunker that diverges from xet-core.
        { terms: [{ xorb: bad, start: 0, end: 4 }] },
        // A one-chunk file below the minimum is fine.
        { terms: [{ xorb: bad, start: 1, end: 2 }] },
      ],
      [good, bad],
    );
    expect((await cas("/v1/shards", { method: "POST", body: shard })).status).toBe(200);
    expect(server.stats.uploads().undersizedChunks).toBe(2);
  });

  it("takes telemetry reports and refuses ones that are not JSON", async () => {
    const report = { time: "2026-01-01T00:00:00.000Z", event: "xet_upload_summary", metrics: {} };
    const sent = await cas("/v1/telemetry", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(report),
    });
    expect(sent.status).toBe(200);
    expect((await cas("/v1/telemetry", { method: "POST", body: "{" })).status).toBe(400);
    expect(server.stats.uploads().telemetryReports).toBe(1);
  });

  it("answers a dedup query with the xorb holding the chunk, its chunk hashes keyed as the footer says, or 404", async () => {
    const xorb = buildFixtureXorb(hasher, [chunk(9 * KiB, 9001), chunk(10 * KiB, 9002)]);
    expect((await putXorb(xorb)).status).toBe(200);
    const second = xorb.chunks[1]?.hash as string;
    const answer = await cas(`/v1/chunks/default-merkledb/${second}`);
    expect(answer.status).toBe(200);
    const shard = parseShard(new Uint8Array(await answer.arrayBuffer()));
    expect(shard.files).toEqual([]);
    expect(shard.chunkHashKey).not.toBeNull();
    const keyed = await createKeyedChunkHash(shard.chunkHashKey as Uint8Array);
    expect(shard.xorbs.map((entry) => entry.hash)).toEqual([xorb.hash]);
    expect(shard.xorbs[0]?.chunks).toEqual(
      xorb.chunks.map((entry, index) => ({
        hash: keyedHex(keyed, entry.hash),
        unpackedStart: index === 0 ? 0 : 9 * KiB,
        unpackedLength: entry.length,
      })),
    );
    expect((await cas(`/v1/chunks/default-merkledb/${"ab".repeat(32)}`)).status).toBe(404);
  });
});

// --- internal ---

function keyedHex(keyed: (raw: Uint8Array) => Uint8Array, hex: string): string {
  return hashToHex(keyed(hexToHash(hex)));
}
