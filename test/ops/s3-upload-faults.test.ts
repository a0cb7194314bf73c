/**
 * Uploads damaged on the way (the fault proxy before the S3 test server flips one byte of a PUT
 * body, headers and signature untouched), through both transports. Every body's SHA-256 is
 * signed (a body held in memory, and a file streamed in one PUT, whose hash the sync knows):
 * the server refuses the damaged one and the sync sends it again within the run. A part of a
 * multipart upload goes unsigned, and its ETag is checked against the MD5 of what was sent.
 * Either way the run ends with the store holding exactly the local bytes, as its manifests say.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from "vitest";
import { compilerVersionDir, flatEntryKey, modelEntryKey } from "../../src/layout/cache-layout.ts";
import { ENTRY_MANIFEST_FILE } from "../../src/layout/entry-files.ts";
import { parseManifest } from "../../src/layout/entry-manifest.ts";
import { sync } from "../../src/ops/sync.ts";
import { createS3Store } from "../../src/store/s3/s3-store.ts";
import type { Store } from "../../src/store/store.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";
import { randomTestPrefix, readObject } from "../contract/store-contract.ts";
import { startS3FaultProxy, type S3FaultProxy } from "../support/s3-fault-proxy.ts";
import { createTestBucket, describeWithS3, S3_TRANSPORTS, s3StoreEnv } from "../support/s3-test-env.ts";

const CV = "2.21.33363.0+82129205";
const MODEL = "org/upload-faults";

const MiB = 1024 * 1024;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describeWithS3("uploads damaged in transit to S3", (s3) => {
  let bucket: { bucket: string; cleanup: () => Promise<void> };
  let work: string;
  let cacheDir: string;
  let modules: string[];
  let proxy: S3FaultProxy;
  beforeAll(async () => {
    bucket = await createTestBucket(s3);
    work = await mkdtemp(path.join(tmpdir(), "neff-upload-faults-"));
    cacheDir = path.join(work, "cache");
    // Small NEFFs go as signed bodies from memory, the 3 MB ones streamed from their files.
    const small = await simulateCompile({
      graphs: ["s-0", "s-1", "s-2"],
      cacheDir,
      compilerVersion: CV,
      neffBytes: 50_000,
    });
    const large = await simulateCompile({
      graphs: ["l-0", "l-1"],
      cacheDir,
      compilerVersion: CV,
      neffBytes: 3_000_000,
    });
    // Over the multipart threshold of the stores below: three parts of 5, 5 and 1 MiB.
    const huge = await simulateCompile({
      graphs: ["h-0"],
      cacheDir,
      compilerVersion: CV,
      neffBytes: 11 * MiB,
    });
    modules = [...small.modules, ...large.modules, ...huge.modules].map((module) => module.name).sort();
    largeModules = large.modules.map((module) => module.name);
    hugeModules = huge.modules.map((module) => module.name);
  }, 60_000);
  afterAll(async () => {
    await bucket?.cleanup();
    await rm(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    proxy = await startS3FaultProxy({ target: s3.endpoint, seed: 23 });
  });
  afterEach(() => proxy.close());

  let largeModules: string[] = [];
  let hugeModules: string[] = [];
  const open = (transport: (typeof S3_TRANSPORTS)[number]): Store =>
    createS3Store({
      bucket: bucket.bucket,
      prefix: randomTestPrefix(),
      env: { ...s3StoreEnv(s3, transport), AWS_ENDPOINT_URL_S3: proxy.url },
      retry: { baseDelayMs: 5, maxDelayMs: 50 },
      multipartThreshold: 6 * MiB,
      partSize: 5 * MiB,
    });
  const syncTo = (store: Store) => sync({ store, cacheDir, compilerVersion: CV, modelId: MODEL });

  for (const transport of S3_TRANSPORTS) {
    it(`${transport}: a signed body damaged on the way is refused by the server and sent again within the run`, async () => {
      // Each small NEFF's first PUT has a flipped byte (its signature covers the body's hash).
      const small = modules.filter((module) => !largeModules.includes(module));
      await expectDamagedPutsResent(
        transport,
        new RegExp(`(${small.map(escapeRegExp).join("|")})/model\\.neff(\\?|$)`),
        small.length,
      );
    }, 120_000);

    it(`${transport}: a streamed body damaged on the way is refused by the server (its hash signed) and sent again within the run`, async () => {
      // The first upload of each 3 MB NEFF, streamed from its file in one PUT: the flat area's
      // (the model area's copy is made from it on the server, so it must be whole).
      const flat = largeModules.map(
        (module) => `${escapeRegExp(compilerVersionDir(CV))}/${escapeRegExp(module)}`,
      );
      await expectDamagedPutsResent(
        transport,
        new RegExp(`(${flat.join("|")})/model\\.neff(\\?|$)`),
        largeModules.length,
      );
    }, 120_000);

    it(`${transport}: a damaged part of a multipart upload is found by its ETag and sent again within the run`, async () => {
      // The second part of each huge NEFF's first upload (unsigned: its hash is not known
      // before it is read).
      await expectDamagedPutsResent(
        transport,
        new RegExp(`(${hugeModules.map(escapeRegExp).join("|")})/model\\.neff\\?partNumber=2&`),
        hugeModules.length,
      );
    }, 120_000);
  }

  for (const transport of S3_TRANSPORTS) {
    for (const ifAbsent of [false, true]) {
      it(`${transport}: a write of unknown hash damaged on the way is found by its ETag and sent again (ifAbsent: ${ifAbsent})`, async () => {
        const store = open(transport);
        try {
          // A stream with no hash and no path: sent unsigned in one PUT, or in parts through
          // one reader (a failed part reopens the stream and reads up to its offset again).
          const single = randomBytes(2 * MiB);
          const multi = randomBytes(11 * MiB);
          proxy.add({ method: "PUT", path: /\/single\.bin(\?|$)/, kind: "flip-upload", times: 1 });
          proxy.add({ method: "PUT", path: /\/multi\.bin\?partNumber=2&/, kind: "flip-upload", times: 1 });
          for (const [key, bytes] of [
            ["single.bin", single],
            ["multi.bin", multi],
          ] as const) {
            const written = await store.write(
              key,
              {
                size: bytes.length,
                open: () => Readable.from([bytes.subarray(0, MiB), bytes.subarray(MiB)]),
              },
              { ifAbsent },
            );
            expect(written.created, key).toBe(true);
            expect(sha256((await readObject(store, key)) as Buffer), key).toBe(sha256(bytes));
          }
          expect(proxy.injected()["flip-upload"]).toBe(2);
        } finally {
          await store.close();
        }
      }, 120_000);
    }
  }

  /**
   * Flips a byte in the first `times` PUTs whose path matches, and expects one sync to land every
   * entry whole all the same, with nothing left for the next sync to repair.
   */
  async function expectDamagedPutsResent(
    transport: (typeof S3_TRANSPORTS)[number],
    path: RegExp,
    times: number,
  ): Promise<void> {
    const store = open(transport);
    try {
      proxy.add({ method: "PUT", path, kind: "flip-upload", times });
      const result = await syncTo(store);
      expect(proxy.injected()["flip-upload"]).toBe(times);
      expect(result.failed).toEqual([]);
      await expectLocalBytes(store);
      proxy.clear();
      expect((await syncTo(store)).published).toEqual([]);
    } finally {
      await store.close();
    }
  }

  /** Every entry's manifest in both areas lists the local bytes, and the store holds exactly them. */
  async function expectLocalBytes(store: Store): Promise<void> {
    const versionDir = path.join(cacheDir, compilerVersionDir(CV));
    for (const module of modules) {
      for (const keyOf of [
        (file: string) => flatEntryKey({ compilerVersion: CV, module, file }),
        (file: string) => modelEntryKey({ compilerVersion: CV, modelId: MODEL, module, file }),
      ]) {
        const manifest = parseManifest(
          ((await readObject(store, keyOf(ENTRY_MANIFEST_FILE))) as Buffer).toString(),
        );
        if (!manifest.ok) throw new Error(`${keyOf(ENTRY_MANIFEST_FILE)}: ${manifest.reason}`);
        const names = (await readdir(path.join(versionDir, module))).filter(
          (name) => !name.startsWith(".") && name !== ENTRY_MANIFEST_FILE,
        );
        expect(manifest.manifest.files.map((file) => file.name).sort()).toEqual(names.sort());
        for (const file of manifest.manifest.files) {
          const local = sha256(await readFile(path.join(versionDir, module, file.name)));
          expect(file.sha256, keyOf(file.name)).toBe(local);
          expect(sha256((await readObject(store, keyOf(file.name))) as Buffer), keyOf(file.name)).toBe(local);
        }
      }
    }
  }
});

function sha256(bytes: Buffer): string {
  return createHash("sha256").update(bytes).digest("hex");
}
