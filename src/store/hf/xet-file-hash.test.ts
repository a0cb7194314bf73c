import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHubServer } from "../../../tools/hub-server/start-hub-server.ts";
import type { HubServer } from "../../../tools/hub-server/start-hub-server.ts";
import { createHfStore } from "./hf-store.ts";
import { xetFileHash } from "./xet-file-hash.ts";

const TOKEN = "hf_xet_hash_test_token_01";
let server: HubServer;
beforeAll(async () => {
  server = await startHubServer({ port: 0, tokens: [{ token: TOKEN, scope: "write" }] });
});
afterAll(() => server?.close());

describe("xetFileHash", () => {
  it("matches the hash the bucket lists for the same bytes, however they are split", async () => {
    const store = createHfStore({
      namespace: "ns",
      name: "hash",
      prefix: "",
      env: { HF_TOKEN: TOKEN, HF_ENDPOINT: server.url },
    });
    await store.create();
    for (const size of [1, 5000, 300_000, 2_000_000]) {
      const data = randomBytes(size);
      const written = await store.write(`f-${size}`, { size, open: () => Readable.from([data]) });
      const a = Math.min(7, size);
      const b = Math.max(a, size >> 1);
      const pieces = [data.subarray(0, a), data.subarray(a, b), data.subarray(b)];
      expect(await xetFileHash(Readable.from(pieces))).toBe(written.object.xetHash);
      expect((await store.stat(`f-${size}`))?.xetHash).toBe(written.object.xetHash);
    }
  });

  it("returns 64 zeros for an empty stream", async () => {
    expect(await xetFileHash(Readable.from([]))).toBe("0".repeat(64));
  });

  it("differs when one byte differs", async () => {
    const data = randomBytes(100_000);
    const other = Buffer.from(data);
    other[50_000] = (other[50_000] as number) ^ 1;
    expect(await xetFileHash(Readable.from([data]))).not.toBe(await xetFileHash(Readable.from([other])));
  });
});
