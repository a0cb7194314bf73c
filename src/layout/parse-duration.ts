import { UsageError } from "../errors.ts";

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/**
 * Parses a duration such as `30d`, `12h`, `90m`, `1d12h` or `2w` into milliseconds. A unit is
 * required (a bare number is ambiguous). Throws a UsageError naming the accepted units.
 */
export function parseDuration(value: string): number {
  const text = value.trim().toLowerCase();
  const part = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/y;
  let total = 0;
  let index = 0;
  let parts = 0;
  while (index < text.length) {
    part.lastIndex = index;
    const match = part.exec(text);
    if (!match) break;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
    index = part.lastIndex;
    while (text[index] === " ") index += 1;
    parts += 1;
  }
  if (parts === 0 || index !== text.length) {
    throw new UsageError(`Invalid duration ${JSON.stringify(value)}.`, {
      hint: "Use a number with a unit: s, m, h, d or w (combinations such as 1d12h work), e.g. 30d.",
    });
  }
  return Math.round(total);
}
