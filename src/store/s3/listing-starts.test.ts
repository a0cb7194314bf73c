import { describe, expect, it } from "vitest";
import { compareKeys, listingStarts } from "./s3-store.ts";

describe("listingStarts", () => {
  it.each([
    { what: "none given", keys: [], under: "p/", starts: [] },
    {
      what: "outside the prefix, or the prefix itself",
      keys: ["q/a", "p/", "pa/b"],
      under: "p/",
      starts: [],
    },
    {
      what: "sorted and each once",
      keys: ["p/c", "p/a", "p/c", "p/b"],
      under: "p/",
      starts: ["p/a", "p/b", "p/c"],
    },
    // UTF-8 byte order, as S3 lists: U+FF5E sorts before an astral character, unlike in JS.
    {
      what: "in S3's byte order",
      keys: ["p/\u{1F600}", "p/\uFF5E"],
      under: "p/",
      starts: ["p/\uFF5E", "p/\u{1F600}"],
    },
    { what: "the whole store", keys: ["b", "a"], under: "", starts: ["a", "b"] },
  ])("$what", ({ keys, under, starts }) => {
    expect(listingStarts(keys, under)).toEqual(starts);
  });

  it("keeps at most 15, spread evenly over the keys", () => {
    const keys = Array.from({ length: 1500 }, (_, i) => `p/MODULE_${String(i).padStart(4, "0")}`);
    const starts = listingStarts(keys, "p/");
    expect(starts).toHaveLength(15);
    expect(starts[0]).toBe("p/MODULE_0000");
    expect(starts[1]).toBe("p/MODULE_0100");
    expect(starts[14]).toBe("p/MODULE_1400");
  });
});

describe("compareKeys", () => {
  const byteOrder = (a: string, b: string): number =>
    Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));

  it.each([
    { a: "a", b: "b", sign: -1 },
    { a: "p/a", b: "p/a", sign: 0 },
    { a: "p/", b: "p/a", sign: -1 },
    { a: "p/a/", b: "p/a", sign: 1 },
    // The two ranges JS orders differently from UTF-8: U+E000–FFFF before a surrogate pair.
    { a: "\uFF5E", b: "\u{1F600}", sign: -1 },
    { a: "\uE000", b: "\uD800\uDC00", sign: -1 },
    { a: "\uD7FF", b: "\uD800\uDC00", sign: -1 },
    { a: "\u{10FFFF}", b: "\u{10000}", sign: 1 },
    { a: "\u00E9", b: "z", sign: 1 },
  ])("$a against $b", ({ a, b, sign }) => {
    expect(Math.sign(compareKeys(a, b))).toBe(sign);
    expect(Math.sign(byteOrder(a, b))).toBe(sign);
  });

  it("orders random keys as their UTF-8 bytes do", () => {
    // Code points from every UTF-8 length and both sides of the surrogate range, seeded.
    const points = [
      0x2f, 0x41, 0x7f, 0x80, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x1f600, 0x10ffff,
    ];
    let seed = 11;
    const next = (bound: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % bound;
    };
    const keys = Array.from({ length: 400 }, () =>
      String.fromCodePoint(
        ...Array.from({ length: 1 + next(5) }, () => points[next(points.length)] as number),
      ),
    );
    for (const a of keys) {
      for (const b of keys.slice(0, 40))
        expect(Math.sign(compareKeys(a, b))).toBe(Math.sign(byteOrder(a, b)));
    }
    expect([...keys].sort(compareKeys)).toEqual([...keys].sort(byteOrder));
  });
});
