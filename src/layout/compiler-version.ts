import { UsageError } from "../errors.ts";
import { COMPILER_DIR_PREFIX } from "./cache-layout.ts";

// A version such as 2.21.33363.0+82129205 (the +hash is optional in user input).
const VERSION_IN_TEXT = /(\d+(?:\.\d+)+(?:\+[0-9A-Za-z.]+)?)/;
const VALID_VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]*$/;

/**
 * Normalises a user-supplied compiler version: trims it and drops a `neuronxcc-` prefix, so
 * both `2.21.33363.0+82129205` and the dir name work. Throws a UsageError for values that
 * cannot be a single dir-name component.
 */
export function normalizeCompilerVersion(value: string): string {
  let version = value.trim();
  if (version.startsWith(COMPILER_DIR_PREFIX)) version = version.slice(COMPILER_DIR_PREFIX.length);
  if (!VALID_VERSION.test(version) || version.includes("..")) {
    throw new UsageError(`Invalid compiler version ${JSON.stringify(value)}.`, {
      hint: "Give the full neuronx-cc version, e.g. --compiler-version 2.21.33363.0+82129205.",
    });
  }
  return version;
}

/**
 * The version printed by `neuronx-cc --version` (a line such as
 * `NeuronX Compiler version 2.21.33363.0+82129205`) or by `neuronxcc.__version__`; null when the
 * text holds none.
 */
export function parseCompilerVersionOutput(output: string): string | null {
  for (const line of output.split(/\r?\n/)) {
    if (/compiler|neuronx/i.test(line) || /^\s*\d/.test(line)) {
      const match = VERSION_IN_TEXT.exec(line);
      if (match) return match[1] as string;
    }
  }
  return null;
}

/**
 * Whether the version dir `dirName` belongs to the current compiler. A current version given
 * without its `+hash` matches any build of that release (`2.21.33363.0` matches
 * `neuronxcc-2.21.33363.0+82129205`) but never a longer release number (`2.21.3` does not
 * match `2.21.33363.0`).
 */
export function isCurrentVersionDir(dirName: string, currentVersion: string): boolean {
  const current = COMPILER_DIR_PREFIX + currentVersion;
  return dirName === current || dirName.startsWith(current + "+");
}
