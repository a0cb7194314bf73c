import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { NEFF_CACHE_VERSION } from "./version.ts";

describe("NEFF_CACHE_VERSION", () => {
  it("equals the version in package.json", () => {
    const manifest = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(NEFF_CACHE_VERSION).toBe(manifest.version);
  });
});
