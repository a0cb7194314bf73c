import { describe, expect, it } from "vitest";
import { listingStarts } from "./s3-store.ts";

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
