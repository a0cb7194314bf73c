/**
 * Whether bytes held here are the bytes a listing describes, judged by the content hash the
 * listing carries: an S3 ETag of a single-part upload (the MD5 of the body) or a Hugging Face
 * `xetHash`. A directory store's listing carries neither, and an S3 multipart ETag is not an
 * MD5 of the body: those cannot be judged (undefined), and the caller reads the object instead.
 */
import { createHash } from "node:crypto";
import type { StoreObject } from "../store/store.ts";

export async function listedHashMatches(
  object: StoreObject,
  bytes: Uint8Array,
  signal?: AbortSignal,
): Promise<boolean | undefined> {
  if (object.size !== bytes.length) return false;
  if (object.md5 !== undefined) return createHash("md5").update(bytes).digest("hex") === object.md5;
  if (object.xetHash !== undefined) {
    const { xetFileHash } = await import("../store/hf/xet/xet-file-hash.ts");
    return (await xetFileHash([bytes], signal)) === object.xetHash;
  }
  return undefined;
}

/**
 * Whether two listed copies of one file hold different bytes, by the content hashes both
 * listings carry (S3 MD5s, Xet hashes); false when they cannot tell. A sync writes one content
 * to every area (an S3 copy of a single-part object keeps its MD5, a Hugging Face file is one Xet
 * hash under every path), so copies that differ mean one of them changed in the store since.
 */
export function listedCopiesDiffer(a: StoreObject, b: StoreObject): boolean {
  if (a.size !== b.size) return true;
  if (a.md5 !== undefined && b.md5 !== undefined) return a.md5 !== b.md5;
  if (a.xetHash !== undefined && b.xetHash !== undefined) return a.xetHash !== b.xetHash;
  return false;
}
