import { UsageError } from "../errors.ts";
import {
  findCompilerVersion,
  type CompilerVersionInfo,
  type FindCompilerVersionOptions,
} from "./find-compiler-version.ts";

/** Like `findCompilerVersion`, but a missing version is a UsageError naming the flag and the variable. */
export async function requireCompilerVersion(
  options: FindCompilerVersionOptions,
): Promise<CompilerVersionInfo> {
  const found = await findCompilerVersion(options);
  if (found !== null) return found;
  throw new UsageError(
    "Cannot tell the Neuron compiler version: neuronx-cc is not on PATH and python3 cannot import neuronxcc.",
    {
      code: "E_NO_COMPILER_VERSION",
      hint: "Pass --compiler-version VERSION (e.g. 2.21.33363.0+82129205) or set NEFF_CACHE_COMPILER_VERSION.",
    },
  );
}
