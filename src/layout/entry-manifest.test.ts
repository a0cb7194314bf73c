import { describe, expect, it } from "vitest";
import { buildManifest, hashHostName, parseManifest } from "./entry-manifest.ts";
import type { BuildManifestOptions } from "./entry-manifest.ts";
import { isEntryFileName, isModuleName } from "./entry-files.ts";

const SHA = "a".repeat(64);
const OPTIONS: BuildManifestOptions = {
  module: "MODULE_98ba4c9111d5882d2331+39f12043",
  compilerVersion: "2.21.33363.0+82129205",
  files: [
    { name: "model.neff", size: 1024, sha256: SHA },
    {
      name: "model.done",
      size: 0,
      sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    },
  ],
  producer: { tool: "neff-cache", version: "0.1.0", hostHash: hashHostName("node-1") },
  createdAt: new Date("2026-01-02T03:04:05.000Z"),
};

describe("buildManifest", () => {
  it("writes sorted files and keys, so the same entry gives the same bytes", () => {
    const text = buildManifest(OPTIONS);
    expect(text).toBe(buildManifest({ ...OPTIONS, files: [...OPTIONS.files].reverse() }));
    expect(text.indexOf('"model.done"')).toBeLessThan(text.indexOf('"model.neff"'));
    expect(text.endsWith("}\n")).toBe(true);
    expect(text).not.toContain("node-1");
  });

  it("round-trips through parseManifest", () => {
    const parsed = parseManifest(buildManifest(OPTIONS));
    expect(parsed).toEqual({
      ok: true,
      manifest: {
        formatVersion: 1,
        module: OPTIONS.module,
        compilerVersion: OPTIONS.compilerVersion,
        files: [OPTIONS.files[1], OPTIONS.files[0]],
        producer: OPTIONS.producer,
        createdAt: "2026-01-02T03:04:05.000Z",
        keyFactors: {},
      },
    });
  });

  it("records the key factors, and a manifest without them (older, or optimum-neuron's) reads as none", () => {
    const keyFactors = {
      compileFlags: ["--model-type=transformer", "-O1"],
      exportConfigHash: "0a1b2c3d",
      compileMs: 61_250,
    };
    const text = buildManifest({ ...OPTIONS, keyFactors });
    expect(text).toContain('"compileMs": 61250');
    const parsed = parseManifest(text);
    expect(parsed.ok && parsed.manifest.keyFactors).toEqual(keyFactors);
    const older = buildManifest(OPTIONS);
    expect(older).not.toContain("keyFactors");
    expect(
      parseManifest(older).ok &&
        (parseManifest(older) as { manifest: { keyFactors: object } }).manifest.keyFactors,
    ).toEqual({});
  });

  it("drops key factors of the wrong shape but keeps the entry usable", () => {
    const body = JSON.parse(buildManifest(OPTIONS)) as Record<string, unknown>;
    body.keyFactors = { compileFlags: [1, "-O1"], exportConfigHash: "nothex!!", compileMs: -5 };
    const parsed = parseManifest(JSON.stringify(body));
    expect(parsed).toMatchObject({ ok: true, manifest: { keyFactors: {} } });
    expect(() => buildManifest({ ...OPTIONS, keyFactors: { exportConfigHash: "x" } })).toThrow(/8 hex/);
  });

  it("refuses a lock file, a duplicate or a bad hash", () => {
    const bad = (files: BuildManifestOptions["files"]) => () => buildManifest({ ...OPTIONS, files });
    expect(bad([{ name: "x.lock", size: 0, sha256: SHA }])).toThrow(/in progress/);
    expect(bad([OPTIONS.files[0]!, OPTIONS.files[0]!])).toThrow(/twice/);
    expect(bad([{ name: "model.neff", size: 1, sha256: "zz" }])).toThrow(/sha256/);
    expect(bad([])).toThrow(/empty/);
  });
});

describe("parseManifest", () => {
  const valid = JSON.parse(buildManifest(OPTIONS)) as Record<string, unknown>;
  const cases: ReadonlyArray<{ what: string; text: string; reason: string }> = [
    { what: "not JSON", text: "{", reason: "not valid JSON" },
    { what: "an array", text: "[]", reason: "not a JSON object" },
    { what: "another format", text: JSON.stringify({ ...valid, format: "x" }), reason: "format" },
    { what: "a newer format version", text: JSON.stringify({ ...valid, formatVersion: 2 }), reason: "newer" },
    { what: "files not a list", text: JSON.stringify({ ...valid, files: {} }), reason: "not a list" },
    {
      what: "a file without size",
      text: JSON.stringify({ ...valid, files: [{ name: "a", sha256: SHA }] }),
      reason: "lacks",
    },
    {
      what: "a hostile file name",
      text: JSON.stringify({ ...valid, files: [{ name: "../x", size: 1, sha256: SHA }] }),
      reason: "file",
    },
    {
      what: "a negative size",
      text: JSON.stringify({ ...valid, files: [{ name: "a", size: -1, sha256: SHA }] }),
      reason: "invalid size",
    },
    {
      what: "the manifest listing itself",
      text: JSON.stringify({ ...valid, files: [{ name: "neff-cache.manifest.json", size: 1, sha256: SHA }] }),
      reason: "lists itself",
    },
    { what: "a bad module", text: JSON.stringify({ ...valid, module: "x" }), reason: "module" },
    { what: "a missing producer", text: JSON.stringify({ ...valid, producer: null }), reason: "producer" },
    { what: "a bad date", text: JSON.stringify({ ...valid, createdAt: "soon" }), reason: "createdAt" },
  ];
  it.each(cases)("rejects $what with a reason", ({ text, reason }) => {
    const parsed = parseManifest(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });
});

describe("entry file names", () => {
  it.each([
    "model.neff",
    "model.done",
    "model.hlo_module.pb",
    "compile_flags.json",
    "wrapped_neff.hlo",
    "config.json",
  ])("accepts %s", (name) => expect(isEntryFileName(name)).toBe(true));
  it.each(["model.log", "model.hlo_module.pb.lock", "x.incomplete", ".hidden", "a/b", "", "a b"])(
    "refuses %j",
    (name) => expect(isEntryFileName(name)).toBe(false),
  );
  it.each(["MODULE_9214541117211669183+d41d8cd9", "MODULE_98ba4c9111d5882d2331+39f12043", "MODULE_0123abcd"])(
    "accepts module %s",
    (name) => expect(isModuleName(name)).toBe(true),
  );
  it.each(["MODULE_", "MODULE_a+", "module_a+b", "MODULE_a/b", "MODULE_a+b+c", "MODULE_ab cd"])(
    "refuses module %j",
    (name) => expect(isModuleName(name)).toBe(false),
  );
});
