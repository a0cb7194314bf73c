import { mkdtempSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { parseStoreUrl } from "../layout/store-url.ts";
import { openStore } from "./open-store.ts";

const base = mkdtempSync(path.join(tmpdir(), "neff-open-store-"));
afterAll(() => rm(base, { recursive: true, force: true }));

describe("openStore", () => {
  it("opens a directory store for a file URL or a path", async () => {
    for (const value of [`file://${base}`, base]) {
      const store = await openStore(parseStoreUrl(value), { env: {} });
      expect(store.kind).toBe("dir");
      expect(store.url).toBe(`file://${base}`);
      await store.write("k.txt", { size: 2, open: () => Readable.from([Buffer.from("hi")]) });
      expect(await store.stat("k.txt")).toMatchObject({ size: 2 });
      await store.close();
    }
  });

  it("opens an S3 store with the location's bucket and prefix, sending nothing yet", async () => {
    const store = await openStore(parseStoreUrl("s3://my-bucket/team/cache"), {
      env: { AWS_ENDPOINT_URL_S3: "http://127.0.0.1:9" },
    });
    expect(store.kind).toBe("s3");
    expect(store.url).toBe("s3://my-bucket/team/cache");
    await store.close();
  });

  it("rejects an aborted signal before opening anything", async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(openStore(parseStoreUrl(base), { env: {}, signal: controller.signal })).rejects.toThrow();
  });
});
