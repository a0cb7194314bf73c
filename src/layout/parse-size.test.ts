import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import { formatBytes } from "./format-bytes.ts";
import { parseDuration } from "./parse-duration.ts";
import { parseSize } from "./parse-size.ts";

describe("parseSize", () => {
  it.each([
    ["0", 0],
    ["4096", 4096],
    ["10b", 10],
    ["1k", 1024],
    ["1K", 1024],
    ["1KB", 1024],
    ["1KiB", 1024],
    ["500MiB", 500 * 1024 ** 2],
    ["50G", 50 * 1024 ** 3],
    ["1.5GB", 1.5 * 1024 ** 3],
    [" 2 t ", 2 * 1024 ** 4],
  ])("parses %j", (input, expected) => {
    expect(parseSize(input)).toBe(expected);
  });

  it.each(["", "G", "-1G", "1X", "1GG", "1.2.3", "ten", "1iB"])("rejects %j with a UsageError", (input) => {
    expect(() => parseSize(input)).toThrow(UsageError);
  });
});

describe("parseDuration", () => {
  it.each([
    ["30d", 30 * 86_400_000],
    ["12h", 12 * 3_600_000],
    ["90m", 90 * 60_000],
    ["45s", 45_000],
    ["250ms", 250],
    ["2w", 14 * 86_400_000],
    ["1d12h", 36 * 3_600_000],
    ["1.5h", 5_400_000],
    ["1D 2H", 26 * 3_600_000],
  ])("parses %j", (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each(["", "30", "d", "30x", "30d junk", "-1d"])("rejects %j with a UsageError", (input) => {
    expect(() => parseDuration(input)).toThrow(UsageError);
  });
});

describe("formatBytes", () => {
  it.each([
    [0, "0 B"],
    [500, "500 B"],
    [1023, "1023 B"],
    [2048, "2.0 KB"],
    [5 * 1024 ** 2, "5.0 MB"],
    [50 * 1024 ** 2, "50.0 MB"],
    [3 * 1024 ** 3, "3.0 GB"],
    [2048 * 1024 ** 3, "2048.0 GB"],
  ])("formats %d as %j", (bytes, expected) => {
    expect(formatBytes(bytes)).toBe(expected);
  });
});
