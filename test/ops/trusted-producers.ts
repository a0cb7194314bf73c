/**
 * Trusted producers end to end on one store backend: a producer publishes and signs, a consumer
 * that trusts its key installs exactly what it signed, and every way an entry can fail that
 * trust — unsigned, signed by another key, manifest edited after signing, a byte flipped in a
 * signed NEFF, a revoked key — is refused with its reason and installs nothing. Every backend
 * runs it.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  compilerVersionDir,
  exportRecordKey,
  flatEntryKey,
  modelEntryKey,
} from "../../src/layout/cache-layout.ts";
import { ENTRY_MANIFEST_FILE, NEFF_FILE } from "../../src/layout/entry-files.ts";
import { exportRecordHash } from "../../src/layout/export-record.ts";
import { copy } from "../../src/ops/copy.ts";
import { fetch } from "../../src/ops/fetch.ts";
import { lookup } from "../../src/ops/lookup.ts";
import { sign } from "../../src/ops/sign.ts";
import { sync } from "../../src/ops/sync.ts";
import { createDirStore } from "../../src/store/dir/dir-store.ts";
import type { Store } from "../../src/store/store.ts";
import type { ProducerSigningKey } from "../../src/trust/producer-key.ts";
import { generateProducerKeyPair, parseSigningKey } from "../../src/trust/producer-key.ts";
import type { TrustPolicy } from "../../src/trust/signature-file.ts";
import { signatureKey } from "../../src/trust/signature-file.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";

export interface TrustSuiteOptions {
  name: string;
  /** A fresh, empty store for one test. */
  createStore: () => Promise<Store>;
}

const CV = "2.21.33363.0+82129205";
const MODEL = "test-org/signed-llama";
const TASK = "text-generation";
const CONFIG = { batch_size: 1, sequence_length: 1024, tp_degree: 2 };

export function runTrustSuite(options: TrustSuiteOptions): void {
  describe(`trusted producers: ${options.name}`, () => {
    let producerCache: string;
    let consumerCache: string;
    let store: Store;
    const ci = newKey();
    const other = newKey();
    beforeEach(async () => {
      producerCache = await mkdtemp(path.join(tmpdir(), "neff-trust-producer-"));
      consumerCache = await mkdtemp(path.join(tmpdir(), "neff-trust-consumer-"));
      store = await options.createStore();
    });
    afterEach(async () => {
      await store.close();
      await rm(producerCache, { recursive: true, force: true });
      await rm(consumerCache, { recursive: true, force: true });
    });

    /** Compiles `graphs` in the producer's cache and publishes them (and a record) unsigned. */
    const publish = async (graphs: string[]): Promise<string[]> => {
      const compiled = await simulateCompile({ graphs, cacheDir: producerCache, compilerVersion: CV });
      const modules = compiled.modules.map((module) => module.name);
      await sync({
        store,
        cacheDir: producerCache,
        compilerVersion: CV,
        modelId: MODEL,
        task: TASK,
        modules,
        exportConfig: CONFIG,
        optimumNeuronVersion: "0.4.6",
      });
      return modules;
    };
    const consume = (trust: TrustPolicy, from: Store = store) =>
      fetch({ store: from, cacheDir: consumerCache, compilerVersion: CV, modelId: MODEL, task: TASK, trust });
    /** Publishes again from the producer's cache with its key (what is there already is only signed). */
    const resign = () =>
      sync({
        store,
        cacheDir: producerCache,
        compilerVersion: CV,
        modelId: MODEL,
        task: TASK,
        signingKey: ci,
      });
    const manifestKey = (module: string): string =>
      modelEntryKey({ compilerVersion: CV, modelId: MODEL, task: TASK, module, file: ENTRY_MANIFEST_FILE });
    const installed = async (): Promise<string[]> =>
      readdir(path.join(consumerCache, compilerVersionDir(CV))).then(
        (names) => names.filter((name) => name.startsWith("MODULE_")).sort(),
        () => [],
      );

    it("installs what a trusted producer signed, and signing again writes nothing", async () => {
      const modules = await publish(["a", "b"]);
      const first = await sign({ store, signingKey: ci, modelId: MODEL });
      // Two entries in two areas, and the record.
      expect(first.signed).toHaveLength(5);
      expect(first.refused).toEqual([]);
      const again = await sign({ store, signingKey: ci, modelId: MODEL });
      expect(again.signed).toEqual([]);
      expect(again.alreadySigned).toHaveLength(5);

      const result = await consume(trusting(ci));
      expect(result.fetched.map((entry) => entry.module).sort()).toEqual([...modules].sort());
      expect(result.fetched.every((entry) => entry.signedBy === ci.fingerprint)).toBe(true);
      expect(await installed()).toEqual([...modules].sort());
      const records = await lookup({ store, modelId: MODEL, trust: trusting(ci) });
      expect(records.records).toHaveLength(1);
      expect(records.untrusted).toEqual([]);
    });

    it("refuses unsigned entries and records, and entries signed by a key it does not trust", async () => {
      const [signedByOther] = await publish(["by-other"]);
      await sign({ store, signingKey: other, modelId: MODEL });
      const [unsigned] = await publish(["unsigned"]);

      const result = await consume(trusting(ci));
      expect(result.fetched).toEqual([]);
      expect(reasons(result.skipped)).toEqual(
        new Map([
          [signedByOther, expect.stringMatching(/^unknown-key: signed only by untrusted ed25519:/)],
          [unsigned, expect.stringMatching(/^unsigned: /)],
        ]),
      );
      expect(await installed()).toEqual([]);
      const records = await lookup({ store, modelId: MODEL, trust: trusting(ci) });
      expect(records.records).toEqual([]);
      expect(records.untrusted?.map((record) => record.reason)).toEqual(["unknown-key"]);
      // Without --trust nothing changes: every verified entry is usable.
      const open = await fetch({
        store,
        cacheDir: consumerCache,
        compilerVersion: CV,
        modelId: MODEL,
        task: TASK,
      });
      expect(open.fetched).toHaveLength(2);
    });

    it("refuses a manifest edited after signing", async () => {
      const [module = ""] = await publish(["edited"]);
      await sign({ store, signingKey: ci, modelId: MODEL });
      const key = modelEntryKey({
        compilerVersion: CV,
        modelId: MODEL,
        task: TASK,
        module,
        file: ENTRY_MANIFEST_FILE,
      });
      const manifest = await readText(store, key);
      await writeText(
        store,
        key,
        manifest.replace(/"createdAt": "[^"]+"/, '"createdAt": "2020-01-01T00:00:00.000Z"'),
      );

      const result = await consume(trusting(ci));
      expect(result.fetched).toEqual([]);
      expect(reasons(result.skipped).get(module)).toMatch(/^bad-signature: .*edited after signing/);
      expect(await installed()).toEqual([]);
    });

    it("refuses a signed entry whose NEFF had a byte flipped in the store, and sign will not vouch for it", async () => {
      const [module = ""] = await publish(["flipped"]);
      await sign({ store, signingKey: ci, modelId: MODEL });
      const key = modelEntryKey({ compilerVersion: CV, modelId: MODEL, task: TASK, module, file: NEFF_FILE });
      const bytes = await readBytes(store, key);
      const middle = bytes.length >> 1;
      bytes[middle] = (bytes[middle] ?? 0) ^ 0x01;
      await writeBytes(store, key, bytes);

      const result = await consume(trusting(ci)).catch(
        (error: { result?: unknown }) => error.result as Awaited<ReturnType<typeof fetch>>,
      );
      expect(result.fetched).toEqual([]);
      expect(result.failed).toEqual([
        { module, error: expect.stringMatching(/verification failed: .*model\.neff has sha256/) },
      ]);
      expect(await installed()).toEqual([]);

      const other2 = newKey();
      const promotion = await sign({ store, signingKey: other2, modelId: MODEL });
      expect(promotion.refused).toEqual([
        {
          key: modelEntryKey({
            compilerVersion: CV,
            modelId: MODEL,
            task: TASK,
            module,
            file: ENTRY_MANIFEST_FILE,
          }),
          reason: expect.stringContaining("model.neff differs from its manifest"),
        },
      ]);
    });

    it("rotates keys: trusts entries of either key; a revoked key is refused even while trusted", async () => {
      const [old] = await publish(["old-key"]);
      await sign({ store, signingKey: other, modelId: MODEL });
      const [current] = await publish(["new-key"]);
      await sign({ store, signingKey: ci, modelId: MODEL });
      // The old entry predates the new key: only the old key signed it.
      const oldManifest = manifestKey(old ?? "");
      await store.delete(signatureKey(oldManifest, ci.fingerprint));

      const both = await consume(trusting(ci, other));
      expect(both.fetched.map((entry) => [entry.module, entry.signedBy])).toEqual(
        [
          [old, other.fingerprint],
          [current, ci.fingerprint],
        ].sort(),
      );

      await rm(consumerCache, { recursive: true, force: true });
      const revoked = await consume({ ...trusting(ci, other), revoked: new Set([other.fingerprint]) });
      expect(revoked.fetched.map((entry) => entry.module)).toEqual([current]);
      expect(reasons(revoked.skipped).get(old ?? "")).toMatch(/^revoked-key: /);
    });

    it("a producer that syncs with its key publishes signed entries and record; a kill before the signatures is repaired", async () => {
      const compiled = await simulateCompile({
        graphs: ["s1", "s2"],
        cacheDir: producerCache,
        compilerVersion: CV,
      });
      const modules = compiled.modules.map((module) => module.name).sort();
      const published = await sync({
        store,
        cacheDir: producerCache,
        compilerVersion: CV,
        modelId: MODEL,
        task: TASK,
        exportConfig: CONFIG,
        optimumNeuronVersion: "0.4.6",
        signingKey: ci,
      });
      // Two entries in two areas, and the record.
      expect(published.signatures?.signed).toHaveLength(5);
      const result = await consume(trusting(ci));
      expect(result.fetched.map((entry) => entry.module).sort()).toEqual(modules);
      expect((await lookup({ store, modelId: MODEL, trust: trusting(ci) })).records).toHaveLength(1);

      // A run killed after its manifests, before its signatures (the state it leaves is made
      // here directly): the next run only signs.
      const [fresh = ""] = (
        await simulateCompile({ graphs: ["s3"], cacheDir: producerCache, compilerVersion: CV })
      ).modules.map((module) => module.name);
      await resign();
      for (const manifest of [
        flatEntryKey({ compilerVersion: CV, module: fresh, file: ENTRY_MANIFEST_FILE }),
        manifestKey(fresh),
      ]) {
        await store.delete(signatureKey(manifest, ci.fingerprint));
      }
      const again = await resign();
      expect(again.failed).toEqual([]);
      await rm(consumerCache, { recursive: true, force: true });
      const all = await consume(trusting(ci));
      expect(all.fetched).toHaveLength(3);
      // And a third run writes nothing.
      const third = await resign();
      expect(third.signatures?.signed).toEqual([]);
      expect(third.bytes).toBe(0);
    });

    it("a producer's key signs entries already in the store that describe its own bytes", async () => {
      const modules = await publish(["pre-existing"]);
      const signed = await resign();
      expect(signed.published).toEqual([]);
      expect(signed.signatures?.signed).toHaveLength(2);
      expect((await consume(trusting(ci))).fetched.map((entry) => entry.module)).toEqual(modules);
    });

    it("signatures travel with a copy to another store, where they still verify", async () => {
      const modules = await publish(["copied"]);
      await sign({ store, signingKey: ci, modelId: MODEL });
      const bundle = await mkdtemp(path.join(tmpdir(), "neff-trust-bundle-"));
      const target = createDirStore({ root: bundle });
      try {
        const copied = await copy({ from: store, to: target, modelId: MODEL });
        expect(copied.failed).toEqual([]);
        const result = await consume(trusting(ci), target);
        expect(result.fetched.map((entry) => [entry.module, entry.signedBy])).toEqual(
          modules.map((module) => [module, ci.fingerprint]),
        );
        expect((await lookup({ store: target, modelId: MODEL, trust: trusting(ci) })).records).toHaveLength(
          1,
        );
      } finally {
        await target.close();
        await rm(bundle, { recursive: true, force: true });
      }
    });

    it("a promotion signs the flat copies too, so a whole-version fetch trusts them", async () => {
      const modules = await publish(["flat-a"]);
      await sign({ store, signingKey: ci, modelId: MODEL });
      const all = await fetch({
        store,
        cacheDir: consumerCache,
        compilerVersion: CV,
        all: true,
        trust: trusting(ci),
      });
      expect(all.fetched.map((entry) => entry.module)).toEqual(modules);
      expect(
        (
          await readText(
            store,
            exportRecordKey({
              compilerVersion: CV,
              modelId: MODEL,
              task: TASK,
              optimumNeuronVersion: "0.4.6",
              hash: exportRecordHash(CONFIG),
            }),
          )
        ).length,
      ).toBeGreaterThan(0);
    });
  });
}

function newKey(): ProducerSigningKey {
  const parsed = parseSigningKey(generateProducerKeyPair().privatePem);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.key;
}

function trusting(...keys: ProducerSigningKey[]): TrustPolicy {
  return { trusted: new Map(keys.map((key) => [key.fingerprint, key.publicKey])), revoked: new Set() };
}

function reasons(
  skipped: ReadonlyArray<{ module: string; reason: string; detail: string }>,
): Map<string, string> {
  return new Map(
    skipped.filter((skip) => skip.reason === "untrusted").map((skip) => [skip.module, skip.detail] as const),
  );
}

async function readBytes(store: Store, key: string): Promise<Buffer> {
  const body = await store.read(key);
  if (body === null) throw new Error(`${key} is missing`);
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function readText(store: Store, key: string): Promise<string> {
  return (await readBytes(store, key)).toString("utf8");
}

async function writeBytes(store: Store, key: string, bytes: Buffer): Promise<void> {
  await store.write(key, { size: bytes.length, bytes, open: () => Readable.from([bytes]) });
}

async function writeText(store: Store, key: string, text: string): Promise<void> {
  await writeBytes(store, key, Buffer.from(text, "utf8"));
}
