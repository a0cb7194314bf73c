import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hfHome, resolveHfToken } from "./hf-token.ts";

describe("resolveHfToken", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "hf-token-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("prefers HF_TOKEN over the token file", async () => {
    await writeFile(join(dir, "token"), "hf_fromfile\n");
    expect(await resolveHfToken({ env: { HF_TOKEN: "hf_fromenv", HF_HOME: dir } })).toBe("hf_fromenv");
  });

  it("reads $HF_HOME/token, trimmed, when HF_TOKEN is unset", async () => {
    await writeFile(join(dir, "token"), "  hf_fromfile\n");
    expect(await resolveHfToken({ env: { HF_HOME: dir } })).toBe("hf_fromfile");
  });

  it("falls back to $XDG_CACHE_HOME/huggingface, then ~/.cache/huggingface", async () => {
    await mkdir(join(dir, "xdg", "huggingface"), { recursive: true });
    await writeFile(join(dir, "xdg", "huggingface", "token"), "hf_xdg");
    expect(await resolveHfToken({ env: { XDG_CACHE_HOME: join(dir, "xdg") } })).toBe("hf_xdg");
    await mkdir(join(dir, "home", ".cache", "huggingface"), { recursive: true });
    await writeFile(join(dir, "home", ".cache", "huggingface", "token"), "hf_home");
    expect(await resolveHfToken({ env: { HOME: join(dir, "home") } })).toBe("hf_home");
  });

  it("returns undefined when there is no token anywhere", async () => {
    expect(await resolveHfToken({ env: { HF_HOME: join(dir, "missing") } })).toBeUndefined();
    expect(await resolveHfToken({ env: { HF_TOKEN: "  ", HF_HOME: dir } })).toBeUndefined();
  });

  it("ignores an empty token file", async () => {
    await writeFile(join(dir, "token"), "\n");
    expect(await resolveHfToken({ env: { HF_HOME: dir } })).toBeUndefined();
  });
});

describe("hfHome", () => {
  it("uses HF_HOME first", () => {
    expect(hfHome({ HF_HOME: "/h", XDG_CACHE_HOME: "/x" })).toBe("/h");
    expect(hfHome({ XDG_CACHE_HOME: "/x" })).toBe("/x/huggingface");
    expect(hfHome({ HOME: "/home/u" })).toBe("/home/u/.cache/huggingface");
  });
});
