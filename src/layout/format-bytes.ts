const KIB = 1024;

/**
 * Human size in the compile-cache tools' established format: `512 B`, `2.0 KB`, `5.0 MB`,
 * `3.0 GB` (powers of 1024, one decimal, gigabytes the largest unit), so summaries read the
 * same as optimum-neuron's `cache status`.
 */
export function formatBytes(bytes: number): string {
  if (bytes < KIB) return `${bytes} B`;
  if (bytes < KIB ** 2) return `${(bytes / KIB).toFixed(1)} KB`;
  if (bytes < KIB ** 3) return `${(bytes / KIB ** 2).toFixed(1)} MB`;
  return `${(bytes / KIB ** 3).toFixed(1)} GB`;
}
