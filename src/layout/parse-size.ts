import { UsageError } from "../errors.ts";

const UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
  t: 1024 ** 4,
  p: 1024 ** 5,
};

/**
 * Parses a byte size such as `50G`, `500MiB`, `1.5GB`, `4096` or `10 k`. Every unit is a power
 * of 1024 whatever its spelling (`K`, `KB`, `KiB`), matching how sizes are printed by `status`.
 * Throws a UsageError naming the accepted forms.
 */
export function parseSize(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([kmgtp]?)(i?b)?\s*$/i.exec(value);
  const unit = match?.[2]?.toLowerCase() ?? "";
  const scale = UNITS[unit];
  if (
    !match ||
    scale === undefined ||
    (match[3] !== undefined && unit === "" && match[3].toLowerCase() !== "b")
  ) {
    throw new UsageError(`Invalid size ${JSON.stringify(value)}.`, {
      hint: "Use a number with an optional unit: B, K, M, G, T (KB/KiB spellings accepted; all are powers of 1024), e.g. 50G or 500MiB.",
    });
  }
  return Math.floor(Number(match[1]) * scale);
}
