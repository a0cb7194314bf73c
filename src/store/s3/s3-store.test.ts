import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { bytesSource, collect, deterministicSource, readAll } from "../../../test/contract/store-contract.ts";
import {
  createTestBucket,
  describeWithS3,
  S3_TRANSPORTS,
  s3StoreEnv,
  testBucketName,
  withAdminClient,
} from "../../../test/support/s3-test-env.ts";
import { isAbortError, NotFoundError, StoreError } from "../../errors.ts";
import { createS3Store, etagProblem, type S3StoreOptions, s3TransportKind } from "./s3-store.ts";

const MiB = 1024 * 1024;
const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20 };

it.each([
  {
    case: "the sent MD5, quoted",
    etag: '"0cc175b9c0f1b6a831c399e269772661"',
    sse: undefined,
    damaged: false,
  },
  {
    case: "the sent MD5 in capitals",
    etag: "0CC175B9C0F1B6A831C399E269772661",
    sse: "AES256",
    damaged: false,
  },
  { case: "another MD5", etag: '"92eb5ffee6ae2fec3ad71c777531578f"', sse: undefined, damaged: true },
  {
    case: "another MD5 under SSE-S3",
    etag: '"92eb5ffee6ae2fec3ad71c777531578f"',
    sse: "AES256",
    damaged: true,
  },
  // SSE-KMS ETags are not the MD5 of the bytes: nothing to compare.
  { case: "SSE-KMS", etag: '"92eb5ffee6ae2fec3ad71c777531578f"', sse: "aws:kms", damaged: false },
  {
    case: "SSE-KMS (dual-layer)",
    etag: '"92eb5ffee6ae2fec3ad71c777531578f"',
    sse: "aws:kms:dsse",
    damaged: false,
  },
  { case: "an ETag of another form", etag: '"abc-1"', sse: undefined, damaged: false },
  { case: "no ETag", etag: undefined, sse: undefined, damaged: false },
])("an upload answered with $case is taken as damaged: $damaged", ({ etag, sse, damaged }) => {
  const problem = etagProblem({ etag, serverSideEncryption: sse }, "0cc175b9c0f1b6a831c399e269772661");
  if (!damaged) expect(problem).toBeNull();
  else expect(problem).toMatch(/92eb5ffee6ae2fec3ad71c777531578f.*0cc175b9c0f1b6a831c399e269772661/);
});

/** What the fault proxy does with one request: answer it itself, or pass it on. */
type Fault = { status: number; headers?: Record<string, string>; body?: string } | null;

/** A real HTTP proxy in front of the S3 server that injects failures chosen per request. */
async function startFaultProxy(
  target: string,
  decide: (req: http.IncomingMessage) => Fault,
): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
  const upstream = new URL(target);
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const fault = decide(req);
    if (fault !== null) {
      req.resume();
      res.writeHead(fault.status, { "content-type": "application/xml", ...fault.headers });
      res.end(
        fault.body ?? `<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>injected</Message></Error>`,
      );
      return;
    }
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

for (const transport of S3_TRANSPORTS)
  describeWithS3(`createS3Store (${transport} transport)`, (s3) => {
    let bucket: { bucket: string; cleanup: () => Promise<void> };
    const scratch = mkdtempSync(path.join(tmpdir(), "neff-s3-store-"));
    beforeAll(async () => void (bucket = await createTestBucket(s3)));
    afterAll(async () => {
      await bucket?.cleanup();
      await rm(scratch, { recursive: true, force: true });
    });

    const open = (options: Partial<S3StoreOptions> = {}) =>
      createS3Store({
        bucket: bucket.bucket,
        prefix: "unit",
        env: s3StoreEnv(s3, transport),
        retry: FAST_RETRY,
        ...options,
      });

    it("reports rejected credentials with the fix and without the secret", async () => {
      const cases = [
        { ...s3StoreEnv(s3, transport), AWS_SECRET_ACCESS_KEY: "wrong-secret-value-123" },
        {
          ...s3StoreEnv(s3, transport),
          AWS_ACCESS_KEY_ID: "NOSUCHKEY",
          AWS_SECRET_ACCESS_KEY: "another-secret-456",
        },
      ];
      for (const env of cases) {
        const store = createS3Store({ bucket: bucket.bucket, env });
        for (const attempt of [() => collect(store.list("")), () => store.stat("k"), () => store.exists()]) {
          const error = await attempt().then(
            () => null,
            (e: unknown) => e,
          );
          expect(error).toBeInstanceOf(StoreError);
          expect(error).toMatchObject({ code: "E_STORE_AUTH", retryable: false, exitCode: 5 });
          const text = `${(error as StoreError).message} ${(error as StoreError).hint}`;
          expect(text).toMatch(/credentials were rejected/);
          expect(text).toMatch(/AWS_ACCESS_KEY_ID/);
          expect(text).not.toContain(env.AWS_SECRET_ACCESS_KEY);
        }
        await store.close();
      }
    });

    it("reports a missing bucket with the command that creates it", async () => {
      const name = testBucketName();
      const store = createS3Store({ bucket: name, env: s3StoreEnv(s3, transport) });
      expect(await store.exists()).toBe(false);
      for (const attempt of [
        () => collect(store.list("")),
        () => store.read("k"),
        () => store.write("k", bytesSource(Buffer.from("x"))),
      ]) {
        const error = await attempt().then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(NotFoundError);
        expect((error as NotFoundError).message).toContain(`"${name}" does not exist`);
        expect((error as NotFoundError).hint).toContain(`neff-cache create s3://${name}`);
      }
      await store.close();
    });

    it("names an unreachable endpoint after retrying", async () => {
      const endpoint = `http://127.0.0.1:${await closedPort()}`;
      const retries: number[] = [];
      const store = createS3Store({
        bucket: "any-bucket",
        env: { ...s3StoreEnv(s3, transport), AWS_ENDPOINT_URL_S3: endpoint },
        retry: { ...FAST_RETRY, maxAttempts: 3 },
        onRetry: (event) => retries.push(event.attempt),
      });
      const error = await store.stat("k").then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).message).toContain(`Cannot reach the S3 endpoint ${endpoint}`);
      expect((error as StoreError).retryable).toBe(true);
      expect(retries).toEqual([1, 2]);
      await store.close();
    });

    it("names the fix when no credentials can be found", async () => {
      const saved = { ...process.env };
      // Only the SDK's local providers may run: no instance metadata, no config files.
      for (const name of Object.keys(process.env)) if (name.startsWith("AWS_")) delete process.env[name];
      process.env.AWS_EC2_METADATA_DISABLED = "true";
      process.env.AWS_CONFIG_FILE = path.join(scratch, "no-config");
      process.env.AWS_SHARED_CREDENTIALS_FILE = path.join(scratch, "no-credentials");
      try {
        const store = createS3Store({ bucket: bucket.bucket, env: { AWS_ENDPOINT_URL_S3: s3.endpoint } });
        const error = await store.stat("k").then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(StoreError);
        expect((error as StoreError).message).toMatch(/No AWS credentials were found/);
        expect((error as StoreError).hint).toMatch(
          /AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE/,
        );
        await store.close();
      } finally {
        for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
        Object.assign(process.env, saved);
      }
    });

    it("retries 503 and 429 answers, honouring Retry-After, without the SDK retrying too", async () => {
      let failures = 0;
      const proxy = await startFaultProxy(s3.endpoint, (req) => {
        if (!req.url?.includes("retried-key") || failures >= 4) return null;
        failures++;
        return failures % 2 === 1
          ? { status: 503, headers: { "retry-after": "1" } }
          : { status: 429, headers: { "retry-after": "0" } };
      });
      const delays: number[] = [];
      try {
        const store = open({
          env: { ...s3StoreEnv(s3, transport), AWS_ENDPOINT_URL_S3: proxy.url },
          retry: { ...FAST_RETRY, maxAttempts: 5 },
          onRetry: (event) => delays.push(event.delayMs),
        });
        await store.write("retried-key", bytesSource(Buffer.from("after four failures")));
        expect(failures).toBe(4);
        expect(proxy.requests.filter((r) => r.includes("retried-key"))).toHaveLength(5);
        expect(delays).toHaveLength(4);
        expect(delays[0]).toBeGreaterThanOrEqual(1000);
        expect(delays[2]).toBeGreaterThanOrEqual(1000);
        expect((await readAll((await store.read("retried-key")) as Readable)).toString()).toBe(
          "after four failures",
        );
        await store.close();
      } finally {
        await proxy.close();
      }
    });

    it("does not retry a refusal", async () => {
      const proxy = await startFaultProxy(s3.endpoint, (req) =>
        req.url?.includes("denied-key")
          ? {
              status: 403,
              body: `<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>no</Message></Error>`,
            }
          : null,
      );
      try {
        const store = open({ env: { ...s3StoreEnv(s3, transport), AWS_ENDPOINT_URL_S3: proxy.url } });
        const error = await store.read("denied-key").then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toMatchObject({ code: "E_STORE_AUTH", status: 403 });
        expect((error as StoreError).message).toMatch(/Access denied/);
        expect(proxy.requests.filter((r) => r.includes("denied-key"))).toHaveLength(1);
        await store.close();
      } finally {
        await proxy.close();
      }
    });

    it("uploads above the threshold in parts from a stream, re-reading the source when a part is retried", async () => {
      let failed = false;
      const proxy = await startFaultProxy(s3.endpoint, (req) => {
        if (failed || req.method !== "PUT" || !req.url?.includes("partNumber=2")) return null;
        failed = true;
        return { status: 500, body: `<?xml version="1.0"?><Error><Code>InternalError</Code></Error>` };
      });
      try {
        const store = open({
          env: { ...s3StoreEnv(s3, transport), AWS_ENDPOINT_URL_S3: proxy.url },
          multipartThreshold: 6 * MiB,
          partSize: 5 * MiB,
        });
        const size = 13 * MiB + 5;
        const source = deterministicSource(size, "multipart");
        let progressed = 0;
        const written = await store.write("mpu/stream.bin", source, {
          onProgress: (p) => (progressed += p.bytes),
        });
        expect(failed).toBe(true);
        expect(progressed).toBe(size);
        expect(written.object).toMatchObject({ key: "mpu/stream.bin", size });
        expect(written.object.etag).toMatch(/-3$/);
        expect(written.object.md5).toBeUndefined();
        const expected = createHash("sha256")
          .update(await readAll(source.open()))
          .digest("hex");
        const body = await readAll((await store.read("mpu/stream.bin")) as Readable);
        expect(createHash("sha256").update(body).digest("hex")).toBe(expected);
        await store.close();
      } finally {
        await proxy.close();
      }
    });

    it("uploads a file above the threshold in parallel ranged parts", async () => {
      const file = path.join(scratch, "parts.bin");
      const bytes = await readAll(deterministicSource(17 * MiB, "file-parts").open());
      await writeFile(file, bytes);
      const store = open({ multipartThreshold: 6 * MiB, partSize: 5 * MiB });
      const written = await store.write("mpu/file.bin", {
        size: bytes.length,
        filePath: file,
        open: () => {
          throw new Error("a file source is read by ranges, not opened whole");
        },
      });
      expect(written.object.etag).toMatch(/-4$/);
      expect((await readAll((await store.read("mpu/file.bin")) as Readable)).equals(bytes)).toBe(true);
      await store.close();
    });

    it("aborts a cancelled multipart upload and leaves no object or parts", async () => {
      const store = open({ multipartThreshold: 6 * MiB, partSize: 5 * MiB });
      const controller = new AbortController();
      const source = deterministicSource(20 * MiB, "mpu-abort");
      const error = await store
        .write("mpu/aborted.bin", source, {
          signal: controller.signal,
          onProgress: () => {
            controller.abort();
          },
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(isAbortError(error)).toBe(true);
      expect(await store.stat("mpu/aborted.bin")).toBeNull();
      const uploads = await withAdminClient(s3, (client, sdk) =>
        client.send(new sdk.ListMultipartUploadsCommand({ Bucket: bucket.bucket })),
      );
      expect((uploads.Uploads ?? []).filter((u) => u.Key === "unit/mpu/aborted.bin")).toEqual([]);
      await store.close();
    });

    it("keeps an existing multipart-size key under ifAbsent without uploading", async () => {
      const store = open({ multipartThreshold: 6 * MiB, partSize: 5 * MiB });
      await store.write("mpu/kept.bin", bytesSource(Buffer.from("original")));
      const result = await store.write(
        "mpu/kept.bin",
        {
          size: 8 * MiB,
          open: () => {
            throw new Error("opened although the key exists");
          },
        },
        { ifAbsent: true },
      );
      expect(result).toMatchObject({ created: false, object: { size: 8 } });
      await store.close();
    });

    it("lists md5 from single-part ETags and keeps the store prefix out of keys", async () => {
      const store = open({ prefix: "unit/md5" });
      await store.write("a.txt", bytesSource(Buffer.from("hello")));
      const listed = await collect(store.list(""));
      expect(listed).toMatchObject([
        { type: "file", key: "a.txt", size: 5, md5: "5d41402abc4b2a76b9719d911017c592" },
      ]);
      expect(store.url).toBe(`s3://${bucket.bucket}/unit/md5`);
      await store.close();
    });

    it(`sends through the ${transport} transport`, () => {
      expect(s3TransportKind({ bucket: bucket.bucket, env: s3StoreEnv(s3, transport) })).toBe(transport);
    });

    it("sends nothing until the first call", async () => {
      const proxy = await startFaultProxy(s3.endpoint, () => null);
      try {
        const store = open({ env: { ...s3StoreEnv(s3, transport), AWS_ENDPOINT_URL_S3: proxy.url } });
        await store.close();
        expect(proxy.requests).toEqual([]);
      } finally {
        await proxy.close();
      }
    });
  });
