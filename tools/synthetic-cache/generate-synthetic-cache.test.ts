import fsp from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { classifyEntry } from "../../src/layout/classify-entry.ts";
import { generateSyntheticCache } from "./generate-synthetic-cache.ts";

let dir: string;
beforeEach(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), "neff-gen-"));
});
afterEach(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe("generateSyntheticCache", () => {
  it("makes the asked number of entries in each state, as the classifier sees them", async () => {
    const made = await generateSyntheticCache({
      dir,
      compilerVersion: "1.0.0+abc",
      success: 4,
      failed: 3,
      locked: 2,
      empty: 1,
      profile: "small",
    });
    expect(made.counts).toEqual({ success: 4, failed: 3, locked: 2, empty: 1 });
    for (const entry of made.entries) {
      const files = await fsp.readdir(path.join(dir, made.versionDir, entry.name));
      expect(classifyEntry(files)).toBe(entry.state);
      expect(entry.name).toMatch(/^MODULE_[0-9a-f]{20}\+[0-9a-f]{8}$/);
    }
  });

  it("is deterministic by seed and differs across seeds", async () => {
    const options = { compilerVersion: "1.0.0+abc", success: 3, failed: 1, profile: "small" as const };
    const a = await generateSyntheticCache({ ...options, dir: path.join(dir, "a"), seed: "s" });
    const b = await generateSyntheticCache({ ...options, dir: path.join(dir, "b"), seed: "s" });
    const c = await generateSyntheticCache({ ...options, dir: path.join(dir, "c"), seed: "t" });
    expect(b.entries).toEqual(a.entries);
    expect(c.entries).not.toEqual(a.entries);
    const neff = (root: string): Promise<Buffer> =>
      fsp.readFile(path.join(root, a.versionDir, a.entries[0]?.name as string, "model.neff"));
    expect(await neff(path.join(dir, "b"))).toEqual(await neff(path.join(dir, "a")));
  });

  it("draws model-profile sizes in the realistic ranges", async () => {
    const made = await generateSyntheticCache({ dir, compilerVersion: "1.0.0", success: 5, sparse: true });
    for (const entry of made.entries) {
      expect(entry.files["model.neff"]).toBeGreaterThanOrEqual(512 * 1024);
      expect(entry.files["model.neff"]).toBeLessThanOrEqual(16 * 1024 * 1024);
      expect(entry.files["model.hlo_module.pb"]).toBeGreaterThanOrEqual(64 * 1024);
      expect(entry.files["model.done"]).toBe(0);
      const stat = await fsp.stat(path.join(dir, made.versionDir, entry.name, "model.neff"));
      expect(stat.size).toBe(entry.files["model.neff"]);
    }
  });
});
