/**
 * Model ids and tasks as path components of the remote layout. optimum-neuron puts them in keys
 * verbatim (`neuronxcc-<cv>/<org>/<name>/<task>/…`), so anything that could escape a prefix or
 * be mistaken for another part of the layout is refused here, before any key is built.
 */
import { UsageError } from "../errors.ts";

/** The task segment used when none is given (optimum-neuron's `task or "default"`). */
export const DEFAULT_TASK = "default";

/** Longest model id segment the Hub accepts. */
const MAX_SEGMENT_LENGTH = 96;

// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
/** Hub naming: letters, digits, "-", "_", "."; no leading or trailing "-" or ".". */
const SAFE_SEGMENT = /^(?![.-])[A-Za-z0-9._-]+(?<![.-])$/;

/**
 * Why `segment` would collide with the layout around it, or null. `MODULE_*` would be read as a
 * compile-cache entry, `exports` as the record folder, `neuronxcc-*` as a compiler version dir.
 */
export function reservedSegmentProblem(segment: string): string | null {
  const lower = segment.toLowerCase();
  if (lower.startsWith("module_")) return `"${segment}" would be read as a compile-cache entry (MODULE_…)`;
  if (lower === "exports") return `"exports" is where export records live`;
  if (lower.startsWith("neuronxcc-")) return `"${segment}" would be read as a compiler version directory`;
  return null;
}

/** Why `modelId` is not usable as a model id (`org/name` or `name`), or null when it is. */
export function modelIdProblem(modelId: string): string | null {
  if (modelId.length === 0) return "it is empty";
  if (modelId.startsWith("/") || /^[A-Za-z]:/.test(modelId)) return "it is an absolute path";
  if (modelId.startsWith("~")) return "it is a home-relative path";
  if (modelId.includes("\\")) return "it contains a backslash";
  if (CONTROL_CHARS.test(modelId)) return "it contains a control character";
  const segments = modelId.split("/");
  if (segments.includes("")) return "it has an empty segment";
  if (segments.length > 2) return "it has more than one '/'";
  for (const segment of segments) {
    if (segment === "." || segment === "..") return `it has a "${segment}" segment`;
    if (segment.includes("..")) return `"${segment}" contains ".."`;
    if (segment.length > MAX_SEGMENT_LENGTH)
      return `"${segment}" is longer than ${MAX_SEGMENT_LENGTH} characters`;
    if (!SAFE_SEGMENT.test(segment)) {
      return `"${segment}" may only use letters, digits, "-", "_" and "." (not first or last)`;
    }
    const reserved = reservedSegmentProblem(segment);
    if (reserved !== null) return reserved;
  }
  return null;
}

/** Returns `modelId` when it is a valid model id; throws a UsageError naming the problem otherwise. */
export function validateModelId(modelId: string): string {
  const problem = modelIdProblem(modelId);
  if (problem === null) return modelId;
  const looksLikePath = /^(?:[/~.]|[A-Za-z]:)/.test(modelId) || modelId.split("/").length > 2;
  throw new UsageError(`Invalid model id ${JSON.stringify(modelId)}: ${problem}.`, {
    code: "E_MODEL_ID",
    hint: looksLikePath
      ? "Model ids are `org/name` or `name`; a local path is not a model id: pass the Hub id, as in --model my-org/my-model."
      : "Model ids are `org/name` or `name`, as in --model meta-llama/Llama-3.1-8B.",
  });
}

/** Why `task` is not a usable task segment, or null. */
export function taskProblem(task: string): string | null {
  if (task.length === 0) return "it is empty";
  if (CONTROL_CHARS.test(task)) return "it contains a control character";
  if (task.includes("/") || task.includes("\\")) return "it must be a single path segment (no '/' or '\\')";
  if (task === "." || task === ".." || task.includes("..")) return 'it contains ".."';
  if (task.length > MAX_SEGMENT_LENGTH) return `it is longer than ${MAX_SEGMENT_LENGTH} characters`;
  if (!SAFE_SEGMENT.test(task))
    return 'it may only use letters, digits, "-", "_" and "." (not first or last)';
  return reservedSegmentProblem(task);
}

/**
 * The task segment for `task`: `"default"` when it is missing or empty (as optimum-neuron does),
 * else the task itself when it is valid. Throws a UsageError naming the problem otherwise.
 */
export function validateTask(task?: string | null): string {
  if (task === undefined || task === null || task === "") return DEFAULT_TASK;
  const problem = taskProblem(task);
  if (problem === null) return task;
  throw new UsageError(`Invalid task ${JSON.stringify(task)}: ${problem}.`, {
    code: "E_TASK",
    hint: "Tasks are one word such as text-generation or feature-extraction; omit --task for the default.",
  });
}
