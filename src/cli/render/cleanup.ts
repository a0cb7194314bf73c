import { formatBytes } from "../../layout/format-bytes.ts";
import type { CleanupResult } from "../../ops/cleanup.ts";

/**
 * Human summary of a cleanup: one sentence list in optimum-neuron's `cache cleanup` wording
 * ("Removed 3 failed entries. Removed 1 stale lock files. Freed 2.0 KB."), prefixed for a dry
 * run, followed by the items that could not be removed.
 */
export function renderCleanup(result: CleanupResult): string {
  const lines: string[] = [];
  const would = result.dryRun ? "Dry run, nothing changed. Would have: " : "";
  if (result.wiped) {
    lines.push(
      `${would}${result.dryRun ? "wiped the cache" : "Cache wiped"}. Freed ${formatBytes(result.bytesFreed)}.`,
    );
  } else {
    const parts: string[] = [];
    if (result.failedRemoved > 0) parts.push(`Removed ${result.failedRemoved} failed entries`);
    if (result.locksRemoved > 0) parts.push(`Removed ${result.locksRemoved} stale lock files`);
    if (result.emptyRemoved > 0) parts.push(`Removed ${result.emptyRemoved} empty entries`);
    if (result.oldVersionsRemoved.length > 0) {
      parts.push(`Removed old compiler versions: ${result.oldVersionsRemoved.join(", ")}`);
    }
    if (result.evicted > 0) parts.push(`Evicted ${result.evicted} least-recently-used entries`);
    if (result.trashRemoved > 0)
      parts.push(`Removed ${result.trashRemoved} leftovers of interrupted deletes`);
    if (parts.length === 0) parts.push("Nothing to clean up");
    parts.push(`Freed ${formatBytes(result.bytesFreed)}`);
    lines.push(`${would}${parts.join(". ")}.`);
  }
  if (result.compilerProcesses.length > 0) {
    const list = result.compilerProcesses.map((p) => `${p.name} (pid ${p.pid})`).join(", ");
    lines.push(`Note: a compiler was running: ${list}.`);
  }
  if (result.dryRun && result.removed.length > 0) {
    lines.push("");
    for (const item of result.removed) {
      lines.push(`  ${item.reason.padEnd(11)} ${formatBytes(item.sizeBytes).padStart(9)}  ${item.path}`);
    }
  }
  if (result.errors.length > 0) {
    lines.push("");
    lines.push(`Could not remove ${result.errors.length} item(s); they were left as they were:`);
    for (const error of result.errors) lines.push(`  ${error.path}: ${error.code} ${error.message}`);
  }
  const unreadable = result.problems.filter((problem) => problem.code !== "SYMLINK");
  if (unreadable.length > 0) {
    lines.push("");
    lines.push(`Could not read ${unreadable.length} item(s); they were left alone:`);
    for (const problem of unreadable.slice(0, 20))
      lines.push(`  ${problem.path}: ${problem.code} ${problem.message}`);
    if (unreadable.length > 20) lines.push(`  … and ${unreadable.length - 20} more`);
  }
  return lines.join("\n");
}
