import { randomBytes } from "node:crypto";
import path from "node:path";
import { trashName } from "../layout/trash-name.ts";
import { nodeLocalFs, type LocalFs } from "./local-fs.ts";

/**
 * Deletes a dir so that no reader ever sees it half-deleted: it is first renamed to a hidden
 * trash name in the same parent (one atomic step; the compiler and scans ignore the name), then
 * removed. If the rename fails nothing was changed and the error is thrown. If removing the
 * trash fails, a later cleanup finds and removes it.
 */
export async function removeDirAtomically(dir: string, options: { fs?: LocalFs } = {}): Promise<void> {
  const fs = options.fs ?? nodeLocalFs;
  const trash = path.join(path.dirname(dir), trashName(path.basename(dir), randomBytes(6).toString("hex")));
  await fs.rename(dir, trash);
  await fs.rm(trash, { recursive: true, force: true });
}
