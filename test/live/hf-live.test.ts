/**
 * The Hugging Face store against the real Hub. Runs only with a token (HF_TOKEN) and a network
 * that reaches the endpoint; the bucket is NEFF_CACHE_TEST_HF_BUCKET (`namespace/name`), or
 * `<user>/neff-cache-live-test`, created private when missing. Everything it writes lives under a
 * random prefix that it deletes again.
 */
import { createHash, randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { afterAll, describe, expect, it } from "vitest";
import { createHfStore } from "../../src/store/hf/hf-store.ts";
import { requireWritten } from "../../src/store/store-ops.ts";
import type { Store, WriteSource } from "../../src/store/store.ts";

const endpoint = (process.env.HF_ENDPOINT ?? "https://huggingface.co").replace(/\/+$/, "");
const token = process.env.HF_TOKEN?.trim();

/** The bucket to use, or why the live test cannot run here. */
async function liveBucket(): Promise<{ bucket: string } | { skip: string }> {
  if (!token) return { skip: "HF_TOKEN is not set" };
  let user: string;
  try {
    const response = await fetch(`${endpoint}/api/whoami-v2`, {
      headers: { Authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(5_000),
    });
    if (!response.ok) return { skip: `${endpoint} rejected the token (HTTP ${response.status})` };
    user = ((await response.json()) as { name: string }).name;
  } catch {
    return { skip: `${endpoint} is not reachable from here` };
  }
  return { bucket: process.env.NEFF_CACHE_TEST_HF_BUCKET ?? `${user}/neff-cache-live-test` };
}

const live = await liveBucket();
const prefix = `neff-cache-live/${randomBytes(6).toString("hex")}`;

function bytes(data: Buffer): WriteSource {
  return {
    size: data.length,
    open: () => Readable.from([data]),
    sha256: createHash("sha256").update(data).digest("hex"),
  };
}

describe.skipIf("skip" in live)(`hf store live${"skip" in live ? ` (skipped: ${live.skip})` : ""}`, () => {
  let store: Store;
  const written: string[] = [];

  afterAll(async () => {
    if (store !== undefined && written.length > 0) await store.deleteMany?.(written);
  });

  it("writes, lists, reads, copies and deletes on the real Hub", async () => {
    const [namespace = "", name = ""] = ("bucket" in live ? live.bucket : "").split("/");
    store = createHfStore({ namespace, name, prefix, env: process.env });
    if (!(await store.exists())) await store.create({ private: true });

    const neff = randomBytes(512 * 1024);
    const results = requireWritten(
      await store.writeMany!([
        { key: "flat/MODULE_1/model.neff", source: bytes(neff) },
        { key: "m/task/MODULE_1/model.neff", source: bytes(neff) },
        { key: "flat/MODULE_1/model.done", source: bytes(Buffer.from("")) },
      ]),
    );
    written.push(...results.map((result) => result.object.key));
    expect(results[0]?.object.xetHash).toBe(results[1]?.object.xetHash);

    const listed: string[] = [];
    for await (const item of store.list("flat")) listed.push(item.key);
    expect(listed.sort()).toEqual(["flat/MODULE_1/model.done", "flat/MODULE_1/model.neff"]);

    const range = await store.read("m/task/MODULE_1/model.neff", { range: { offset: 1000, length: 4096 } });
    expect((await buffer(range!)).equals(neff.subarray(1000, 5096))).toBe(true);
    expect((await buffer((await store.read("flat/MODULE_1/model.neff"))!)).equals(neff)).toBe(true);

    const copied = await store.copy!("flat/MODULE_1/model.neff", "copy/model.neff");
    written.push("copy/model.neff");
    expect(copied?.xetHash).toBe(results[0]?.object.xetHash);

    await store.deleteMany!(written);
    expect(await store.stat("copy/model.neff")).toBeNull();
    written.length = 0;
  }, 180_000);
});
