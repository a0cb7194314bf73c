import { ENTRY_STATES } from "../../layout/classify-entry.ts";
import { formatBytes } from "../../layout/format-bytes.ts";
import type { StatusResult } from "../../ops/status.ts";

const STATE_LABELS = { success: "Success:", failed: "Failed:", locked: "Locked:", empty: "Empty:" } as const;

const SOURCE_LABELS = {
  option: "--cache-dir",
  NEURON_CC_FLAGS: "--cache_dir in NEURON_CC_FLAGS",
  NEURON_COMPILE_CACHE_URL: "NEURON_COMPILE_CACHE_URL",
  default: "default",
} as const;

/**
 * Human summary of a status. The lines shared with optimum-neuron's `cache status`
 * (`Cache path:`, `Total size:`, `Success: {n:>6}  (size)`, `Old compiler version data:`) keep
 * its exact wording so scripts that read it keep working.
 */
export function renderStatus(result: StatusResult): string {
  if (result.cacheDir === null) {
    const note = result.note ?? "no local cache";
    return `${note.charAt(0).toUpperCase()}${note.slice(1)}.`;
  }
  const lines: string[] = [];
  lines.push(`Cache path: ${result.cacheDir}  (from ${SOURCE_LABELS[result.cacheDirSource]})`);
  if (!result.exists) lines.push("The cache directory does not exist yet.");
  lines.push(`Total size: ${formatBytes(result.totalBytes)}`);
  lines.push("");
  lines.push(
    result.currentCompilerVersion === null
      ? "Current compiler version: unknown (pass --compiler-version or set NEFF_CACHE_COMPILER_VERSION)"
      : `Current compiler version: ${result.currentCompilerVersion}`,
  );
  lines.push("");
  lines.push("Compiler versions:");
  if (result.compilerVersions.length === 0) lines.push("  (none)");
  const width = Math.max(0, ...result.compilerVersions.map((v) => v.dir.length));
  for (const version of result.compilerVersions) {
    const entries = `${version.entryCount} ${version.entryCount === 1 ? "entry" : "entries"}`;
    lines.push(
      `  - ${version.dir.padEnd(width)} (${version.status})  ${entries.padStart(14)}  ${formatBytes(version.sizeBytes).padStart(9)}`,
    );
  }
  lines.push("");
  lines.push("Entry counts:");
  for (const state of ENTRY_STATES) {
    const label = STATE_LABELS[state].padEnd(8);
    lines.push(
      `  ${label} ${String(result.counts[state]).padStart(6)}  (${formatBytes(result.sizes[state])})`,
    );
  }
  if (result.oldVersionBytes > 0) {
    lines.push("");
    lines.push(`Old compiler version data: ${formatBytes(result.oldVersionBytes)}`);
  }
  if (result.problems.length > 0) {
    lines.push("");
    lines.push(`Could not read ${result.problems.length} item(s):`);
    for (const problem of result.problems.slice(0, 20)) {
      lines.push(`  ${problem.path}: ${problem.code} ${problem.message}`);
    }
    if (result.problems.length > 20) lines.push(`  … and ${result.problems.length - 20} more`);
  }
  if (result.entries !== undefined && result.entries.length > 0) {
    lines.push("");
    lines.push("Entries:");
    for (const entry of result.entries) {
      lines.push(
        `  ${entry.state.padEnd(7)} ${formatBytes(entry.sizeBytes).padStart(9)}  ${entry.versionDir}/${entry.name}`,
      );
    }
  }
  return lines.join("\n");
}
