import { describe, expect, it } from "vitest";
import { createBucketRecord, putBucketFile, removeBucketFile } from "./bucket-record.ts";
import type { BucketRecord } from "./bucket-record.ts";
import { decodeCursor, encodeCursor, listTree } from "./list-tree.ts";
import type { TreeCursor } from "./list-tree.ts";

const bucketWith = (paths: string[]): BucketRecord => {
  const bucket = createBucketRecord("ns", "b", true, 0);
  for (const path of paths)
    putBucketFile(bucket, { path, xetHash: "0".repeat(64), size: 1, mtime: 0, uploadedAt: 0 }, 0);
  return bucket;
};
const paths = (bucket: BucketRecord, prefix: string, recursive: boolean): string[] =>
  listTree(bucket, { prefix, recursive, limit: 1000, after: null }).entries.map(
    (e) => `${e.type[0]}:${e.path}`,
  );

describe("listTree", () => {
  const bucket = bucketWith(["a/1", "a/sub/2", "ab", "ab/3", "b", "a.txt", "a-b/4"]);

  it("matches a prefix as a raw string, siblings included", () => {
    expect(paths(bucket, "a", true)).toEqual(["f:a-b/4", "f:a.txt", "f:a/1", "f:a/sub/2", "f:ab", "f:ab/3"]);
    expect(paths(bucket, "a/", true)).toEqual(["f:a/1", "f:a/sub/2"]);
    expect(paths(bucket, "", true)).toHaveLength(7);
  });

  it("groups non-recursive listings by the next segment", () => {
    expect(paths(bucket, "", false)).toEqual(["d:a", "d:a-b", "f:a.txt", "d:ab", "f:ab", "f:b"]);
    expect(paths(bucket, "a/", false)).toEqual(["f:a/1", "d:a/sub"]);
    expect(paths(bucket, "a", false)).toEqual(["d:a-b", "f:a.txt", "f:a/1", "d:a/sub", "d:ab", "f:ab"]);
    expect(paths(bucket, "a/sub", false)).toEqual(["f:a/sub/2"]);
  });

  it("pages through a listing without gaps or repeats", () => {
    const many = bucketWith(Array.from({ length: 1234 }, (_, i) => `dir/f${String(i).padStart(5, "0")}`));
    for (const recursive of [true, false]) {
      const seen: string[] = [];
      let after: TreeCursor | null = null;
      let pages = 0;
      do {
        const page = listTree(many, { prefix: "dir/", recursive, limit: 100, after });
        seen.push(...page.entries.map((e) => e.path));
        after = page.next;
        pages += 1;
      } while (after !== null);
      expect(pages).toBe(13);
      expect(seen).toEqual([...many.files.keys()].sort());
    }
  });

  it("ends a listing whose last page is exactly full", () => {
    const page = listTree(bucketWith(["x/1", "x/2"]), {
      prefix: "x/",
      recursive: true,
      limit: 2,
      after: null,
    });
    expect(page.next).toBeNull();
  });

  it("reflects removals and keeps the size", () => {
    const small = bucketWith(["k/1", "k/2"]);
    expect(removeBucketFile(small, "k/1", 5)).toBe(true);
    expect(removeBucketFile(small, "k/1", 5)).toBe(false);
    expect(paths(small, "", true)).toEqual(["f:k/2"]);
    expect(small.size).toBe(1);
  });

  it("keeps a file that shares its path with the directory ending a page", () => {
    const mixed = bucketWith(["x", "x/1", "y"]);
    const first = listTree(mixed, { prefix: "", recursive: false, limit: 1, after: null });
    expect(first.entries.map((e) => e.type)).toEqual(["directory"]);
    const second = listTree(mixed, { prefix: "", recursive: false, limit: 1, after: first.next });
    expect(second.entries.map((e) => `${e.type}:${e.path}`)).toEqual(["file:x"]);
  });

  it("round-trips cursors and refuses foreign ones", () => {
    expect(decodeCursor(encodeCursor({ path: "a/b c" }))).toEqual({ path: "a/b c" });
    expect(decodeCursor(encodeCursor({ path: "d", type: "directory" }))).toEqual({
      path: "d",
      type: "directory",
    });
    expect(decodeCursor("not-a-cursor")).toBeNull();
  });
});
