/**
 * Several fetches into one local cache at once (the real CLI, one process each), some entries
 * missing and some failed locally: a watcher polling the cache never sees an installed entry
 * vanish, each entry ends installed once and complete, and nothing but entries is left behind.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { compilerVersionDir } from "../../src/layout/cache-layout.ts";
import { classifyEntry } from "../../src/layout/classify-entry.ts";
import { sync } from "../../src/ops/sync.ts";
import { createDirStore } from "../../src/store/dir/dir-store.ts";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CV = "2.21.33363.0+82129205";
const MODEL = "org/concurrent";
const ENTRIES = 30;
const FETCHES = 4;

let work: string;
let store: string;
let modules: string[];
beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), "neff-concurrent-"));
  store = path.join(work, "store");
  const source = path.join(work, "source-cache");
  const graphs = Array.from({ length: ENTRIES }, (_, i) => `graph-${i}`);
  const compiled = await simulateCompile({
    graphs,
    cacheDir: source,
    compilerVersion: CV,
    neffBytes: 300_000,
  });
  modules = compiled.modules.map((m) => m.name);
  const dirStore = createDirStore({ root: store });
  await dirStore.create();
  await sync({ store: dirStore, cacheDir: source, compilerVersion: CV, modelId: MODEL });
}, 120_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function fetchCli(cacheDir: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, "bin/neff-cache.js"),
      "fetch",
      MODEL,
      "--bucket",
      store,
      "--cache-dir",
      cacheDir,
      "--compiler-version",
      CV,
      "--json",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stderr })));
}

it("never makes an installed entry vanish while other fetches install the same entries", async () => {
  const cacheDir = path.join(work, "cache");
  const versionDir = path.join(cacheDir, compilerVersionDir(CV));
  // A third of the entries failed locally before: those are replaced (the swap), the rest installed.
  for (const module of modules.filter((_, i) => i % 3 === 0)) {
    await mkdir(path.join(versionDir, module), { recursive: true });
    await writeFile(path.join(versionDir, module, "model.log"), "error: compile failed\n");
    await writeFile(path.join(versionDir, module, "model.hlo_module.pb"), "x");
  }
  const seenInstalled = new Set<string>();
  const vanished = new Set<string>();
  let polls = 0;
  let running = true;
  const watch = async (): Promise<void> => {
    while (running) {
      for (const module of modules) {
        let names: string[];
        try {
          names = readdirSync(path.join(versionDir, module));
        } catch {
          names = [];
        }
        if (classifyEntry(names) === "success") seenInstalled.add(module);
        else if (seenInstalled.has(module)) vanished.add(module);
      }
      polls += 1;
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  const watcher = watch();
  const runs = await Promise.all(Array.from({ length: FETCHES }, () => fetchCli(cacheDir)));
  running = false;
  await watcher;
  for (const run of runs) expect(run.code, run.stderr).toBe(0);
  expect(polls).toBeGreaterThan(20);
  expect([...vanished]).toEqual([]);
  const names = await readdir(versionDir);
  expect(names.sort()).toEqual([...modules].sort());
  for (const module of modules) {
    expect(classifyEntry(await readdir(path.join(versionDir, module)))).toBe("success");
  }
});
