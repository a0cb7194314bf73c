/**
 * The reverse of `cache-layout.ts`: reads a key listed from a store back into its parts, or says
 * why the key is not ours or not safe. Fetch decides what to download from this, so hostile or
 * unknown keys come back as a typed rejection, never as an exception.
 */
import { COMPILER_DIR_PREFIX, EXPORTS_DIR, isExportRecordFileName, versionProblem } from "./cache-layout.ts";
import { entryFileProblem, entryFileRole, moduleNameProblem } from "./entry-files.ts";
import type { EntryFileRole } from "./entry-files.ts";
import { modelIdProblem, taskProblem } from "./model-id.ts";
import { parseSignatureName } from "./signature-name.ts";
import { storeKeyProblem } from "./store-key.ts";

/** A key of the layout, with its parts. */
export type LayoutKey =
  | {
      area: "flat";
      compilerVersion: string;
      module: string;
      file: string;
      role: EntryFileRole;
    }
  | {
      area: "model";
      compilerVersion: string;
      modelId: string;
      task: string;
      module: string;
      file: string;
      role: EntryFileRole;
    }
  | {
      area: "record";
      compilerVersion: string;
      modelId: string;
      task: string;
      optimumNeuronVersion: string;
      /** The 8 hex digits of the file name. */
      hash: string;
      /** Set for a producer's signature of the record (`<hash8>.json.sig-<key id>`): the key id. */
      signatureKeyId?: string;
    };

/** Why a key was refused. */
export type LayoutKeyRejectReason =
  /** Not under a `neuronxcc-*` dir: someone else's object. */
  | "not-ours"
  /** Absolute, `..`, empty segments, backslashes or control characters. */
  | "unsafe-key"
  | "bad-compiler-version"
  | "bad-model-id"
  | "bad-task"
  | "bad-module"
  /** A file below a sub-directory of a MODULE dir: entries are flat. */
  | "nested-file"
  /** `*.lock`, `model.log`, partial downloads, hidden or unsafe file names: never transferred. */
  | "excluded-file"
  | "bad-optimum-neuron-version"
  | "bad-record-name"
  /** Under a `neuronxcc-*` dir but in no known place. */
  | "unknown-shape";

/** Result of `parseLayoutKey`. */
export type LayoutKeyParseResult =
  { ok: true; key: LayoutKey } | { ok: false; reason: LayoutKeyRejectReason; detail: string };

/** Reads `key` (relative to the store root) as a layout key, or gives the reason it is refused. */
export function parseLayoutKey(key: string): LayoutKeyParseResult {
  return parseKey(key, null);
}

/**
 * A `parseLayoutKey` for one listing: the same checks with the same answers, but each distinct
 * compiler version, model id, task, module name and file name is checked once and its verdict
 * remembered, since a listing repeats them on every key. On the many-small set (5,000 keys of
 * one model area) the regex checks per key took about 25 ms of a warm exec. The memory lives
 * as long as the returned function, so make one per listing.
 */
export function createLayoutKeyParser(): (key: string) => LayoutKeyParseResult {
  const verdicts: Verdicts = {
    version: new Map(),
    modelId: new Map(),
    task: new Map(),
    module: new Map(),
    file: new Map(),
  };
  return (key) => parseKey(key, verdicts);
}

// --- internal ---

/** Remembered problem (or null) per checked part, one map per kind of part. */
interface Verdicts {
  version: Map<string, string | null>;
  modelId: Map<string, string | null>;
  task: Map<string, string | null>;
  module: Map<string, string | null>;
  file: Map<string, string | null>;
}

function check(
  verdicts: Verdicts | null,
  kind: keyof Verdicts,
  part: string,
  problem: (part: string) => string | null,
): string | null {
  if (verdicts === null) return problem(part);
  const known = verdicts[kind].get(part);
  if (known !== undefined) return known;
  const found = problem(part);
  verdicts[kind].set(part, found);
  return found;
}

function parseKey(key: string, verdicts: Verdicts | null): LayoutKeyParseResult {
  const unsafe = storeKeyProblem(key);
  if (unsafe !== null) return reject("unsafe-key", unsafe);
  const [head = "", ...rest] = key.split("/");
  if (!head.startsWith(COMPILER_DIR_PREFIX)) return reject("not-ours", `"${head}" is not a neuronxcc-* dir`);
  const compilerVersion = head.slice(COMPILER_DIR_PREFIX.length);
  const versionIssue = check(verdicts, "version", compilerVersion, versionProblem);
  if (versionIssue !== null) return reject("bad-compiler-version", `compiler version: ${versionIssue}`);

  // Model ids and tasks can never be MODULE_* or "exports", so the first such segment marks
  // where the model and task end.
  const moduleIndex = rest.findIndex((segment) => segment.startsWith("MODULE_"));
  const exportsIndex = rest.indexOf(EXPORTS_DIR);
  if (moduleIndex === 0) {
    return parseEntryFile(rest, 0, verdicts, (module, file, role) => ({
      area: "flat",
      compilerVersion,
      module,
      file,
      role,
    }));
  }
  const ownerEnd = moduleIndex > 0 ? moduleIndex : exportsIndex;
  if (ownerEnd < 0) return reject("unknown-shape", "no MODULE_* or exports segment");
  if (ownerEnd < 2 || ownerEnd > 3) return reject("unknown-shape", "expected <model id>/<task> before it");
  const modelId = rest.slice(0, ownerEnd - 1).join("/");
  const task = rest[ownerEnd - 1] ?? "";
  const modelIssue = check(verdicts, "modelId", modelId, modelIdProblem);
  if (modelIssue !== null) return reject("bad-model-id", `model id: ${modelIssue}`);
  const taskIssue = check(verdicts, "task", task, taskProblem);
  if (taskIssue !== null) return reject("bad-task", `task: ${taskIssue}`);

  if (moduleIndex > 0) {
    return parseEntryFile(rest, moduleIndex, verdicts, (module, file, role) => ({
      area: "model",
      compilerVersion,
      modelId,
      task,
      module,
      file,
      role,
    }));
  }
  const tail = rest.slice(exportsIndex + 1);
  if (tail.length !== 2)
    return reject("unknown-shape", "expected exports/<optimum-neuron version>/<hash8>.json");
  const [optimumNeuronVersion = "", file = ""] = tail;
  const onIssue = versionProblem(optimumNeuronVersion);
  if (onIssue !== null) return reject("bad-optimum-neuron-version", `optimum-neuron version: ${onIssue}`);
  const signature = parseSignatureName(file);
  const recordFile = signature?.signed ?? file;
  if (!isExportRecordFileName(recordFile)) {
    return reject("bad-record-name", `"${file}" is not <8 hex digits>.json (or its signature)`);
  }
  return {
    ok: true,
    key: {
      area: "record",
      compilerVersion,
      modelId,
      task,
      optimumNeuronVersion,
      hash: recordFile.slice(0, 8),
      ...(signature ? { signatureKeyId: signature.keyId } : {}),
    },
  };
}

function reject(reason: LayoutKeyRejectReason, detail: string): LayoutKeyParseResult {
  return { ok: false, reason, detail };
}

function parseEntryFile(
  segments: readonly string[],
  moduleIndex: number,
  verdicts: Verdicts | null,
  build: (module: string, file: string, role: EntryFileRole) => LayoutKey,
): LayoutKeyParseResult {
  const module = segments[moduleIndex] ?? "";
  const moduleIssue = check(verdicts, "module", module, moduleNameProblem);
  if (moduleIssue !== null) return reject("bad-module", `${module}: ${moduleIssue}`);
  const after = segments.length - moduleIndex - 1;
  if (after === 0) return reject("unknown-shape", "an entry dir, not a file");
  if (after > 1) return reject("nested-file", `entries hold files only; found a sub-path below ${module}`);
  const file = segments[moduleIndex + 1] ?? "";
  const fileIssue = check(verdicts, "file", file, entryFileProblem);
  if (fileIssue !== null) return reject("excluded-file", `${file}: ${fileIssue}`);
  return { ok: true, key: build(module, file, entryFileRole(file)) };
}
