/**
 * The local cache the body-fault suites publish and then fetch under faults: small entries, whose
 * bodies travel through memory, and two of 3 MB, which go through the file writer (over 1 MiB),
 * so a cut body is read on from the bytes already written.
 */
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { simulateCompile } from "../../tools/neuronx-cc-sim/simulate-compile.ts";

export interface TransferFaultSource {
  cacheDir: string;
  largeModules: string[];
}

export async function compileTransferFaultSource(
  entries: number,
  compilerVersion: string,
): Promise<TransferFaultSource> {
  const cacheDir = await mkdtemp(path.join(tmpdir(), "neff-transfer-faults-src-"));
  await simulateCompile({
    graphs: Array.from({ length: entries - 2 }, (_, i) => `small-${i}`),
    cacheDir,
    compilerVersion,
    neffBytes: 40_000,
  });
  const large = await simulateCompile({
    graphs: ["large-0", "large-1"],
    cacheDir,
    compilerVersion,
    neffBytes: 3_000_000,
  });
  return { cacheDir, largeModules: large.modules.map((m) => m.name) };
}
