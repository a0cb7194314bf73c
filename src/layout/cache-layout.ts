/**
 * Key builders for the remote layout, identical to optimum-neuron's:
 *   flat area       neuronxcc-<cv>/<MODULE>/<file>
 *   per-model area  neuronxcc-<cv>/<model_id>/<task|default>/<MODULE>/<file>
 *   export record   neuronxcc-<cv>/<model_id>/<task|default>/exports/<optimum-neuron version>/<hash8>.json
 * Model ids keep their natural "/" and nothing is URL-encoded. Every part is validated, so a
 * built key is always a safe store key. The layout stays unambiguous because model ids and tasks
 * may not be named `MODULE_*`, `exports` or `neuronxcc-*` (see `model-id.ts`).
 */
import { UsageError } from "../errors.ts";
import { entryFileProblem, moduleNameProblem } from "./entry-files.ts";
import { validateModelId, validateTask } from "./model-id.ts";

/** Prefix of every compiler version dir. */
export const COMPILER_DIR_PREFIX = "neuronxcc-";
/** The folder of a model's export records. */
export const EXPORTS_DIR = "exports";

/** Compiler and optimum-neuron versions: `2.21.33363.0+82129205`, `0.4.6.dev4`. */
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;
/** Record names: the 8 lowercase hex digits of `exportRecordHash` + `.json`. */
const RECORD_FILE = /^[0-9a-f]{8}\.json$/;

/** Why `version` is not a usable compiler or optimum-neuron version, or null. */
export function versionProblem(version: string): string | null {
  if (version.length === 0) return "it is empty";
  if (!VERSION.test(version))
    return "it may only use letters, digits, '.', '_', '+' and '-', starting with a letter or digit";
  if (version.includes("..")) return 'it contains ".."';
  return null;
}

/** Where one model's data lives for one compiler version. */
export interface ModelLocation {
  /** Full compiler version, build hash included (`2.21.33363.0+82129205`). */
  compilerVersion: string;
  /** `org/name` or `name`. */
  modelId: string;
  /** Task; missing or empty means `default`. */
  task?: string | null;
}

/** One entry (or one of its files) in the flat area. */
export interface FlatEntryLocation {
  compilerVersion: string;
  /** MODULE dir name. */
  module: string;
  /** File inside the entry; omitted for the entry's own prefix. */
  file?: string;
}

/** One entry (or one of its files) in a model's area. */
export interface ModelEntryLocation extends ModelLocation {
  module: string;
  file?: string;
}

/** A model's export records, optionally narrowed to one optimum-neuron version. */
export interface ExportRecordsLocation extends ModelLocation {
  optimumNeuronVersion?: string;
}

/** One export record. */
export interface ExportRecordLocation extends ModelLocation {
  optimumNeuronVersion: string;
  /** `exportRecordHash(config)`. */
  hash: string;
}

/** `neuronxcc-<cv>`: the compiler version dir, which is also the flat area. */
export function compilerVersionDir(compilerVersion: string): string {
  return COMPILER_DIR_PREFIX + checkVersion(compilerVersion, "compiler version");
}

/** `neuronxcc-<cv>/<MODULE>[/<file>]`. */
export function flatEntryKey(location: FlatEntryLocation): string {
  return joinParts(compilerVersionDir(location.compilerVersion), entryParts(location.module, location.file));
}

/** `neuronxcc-<cv>/<model_id>`. */
export function modelPrefix(compilerVersion: string, modelId: string): string {
  return `${compilerVersionDir(compilerVersion)}/${validateModelId(modelId)}`;
}

/** `neuronxcc-<cv>/<model_id>/<task|default>`: what a fetch for one model lists. */
export function modelTaskPrefix(location: ModelLocation): string {
  return `${modelPrefix(location.compilerVersion, location.modelId)}/${validateTask(location.task)}`;
}

/** `neuronxcc-<cv>/<model_id>/<task|default>/<MODULE>[/<file>]`. */
export function modelEntryKey(location: ModelEntryLocation): string {
  return joinParts(modelTaskPrefix(location), entryParts(location.module, location.file));
}

/** `…/<task|default>/exports[/<optimum-neuron version>]`: what a lookup lists. */
export function exportRecordsPrefix(location: ExportRecordsLocation): string {
  const base = `${modelTaskPrefix(location)}/${EXPORTS_DIR}`;
  if (location.optimumNeuronVersion === undefined) return base;
  return `${base}/${checkVersion(location.optimumNeuronVersion, "optimum-neuron version")}`;
}

/** `…/<task|default>/exports/<optimum-neuron version>/<hash8>.json`. */
export function exportRecordKey(location: ExportRecordLocation): string {
  const file = `${location.hash}.json`;
  if (!RECORD_FILE.test(file)) {
    throw new UsageError(
      `Invalid export record hash ${JSON.stringify(location.hash)}: expected 8 lowercase hex digits.`,
      {
        hint: "Compute it with exportRecordHash(config).",
      },
    );
  }
  return `${exportRecordsPrefix(location)}/${file}`;
}

/** True when `file` is a record file name (`<8 hex>.json`). */
export function isExportRecordFileName(file: string): boolean {
  return RECORD_FILE.test(file);
}

// --- internal ---

function checkVersion(version: string, what: string): string {
  const problem = versionProblem(version);
  if (problem === null) return version;
  throw new UsageError(`Invalid ${what} ${JSON.stringify(version)}: ${problem}.`, {
    hint:
      what === "compiler version"
        ? "Pass the full neuronx-cc version, as in --compiler-version 2.21.33363.0+82129205."
        : "Pass a version such as 0.4.6.",
  });
}

function entryParts(module: string, file: string | undefined): string[] {
  const moduleProblem = moduleNameProblem(module);
  if (moduleProblem !== null) {
    throw new UsageError(`Invalid compile-cache entry name ${JSON.stringify(module)}: ${moduleProblem}.`, {
      hint: "Entry names come from the compiler, as in MODULE_98ba4c9111d5882d2331+39f12043.",
    });
  }
  if (file === undefined) return [module];
  const fileProblem = entryFileProblem(file);
  if (fileProblem !== null) {
    throw new UsageError(`File ${JSON.stringify(file)} cannot be part of entry ${module}: ${fileProblem}.`);
  }
  return [module, file];
}

function joinParts(head: string, rest: readonly string[]): string {
  return [head, ...rest].join("/");
}
