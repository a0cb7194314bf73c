/**
 * Requests of optimum-neuron's bucket_server protocol: `{"method": name, "params": {kwargs}}`,
 * answered with the method's result object or `{"error": "<Type>: <message>"}`. Parsing,
 * parameter checks and dispatch live here, without I/O; the store work is injected.
 */
import { StoreError } from "../errors.ts";
import { isPyJsonObject, parsePyJson } from "../layout/py-json.ts";
import type { PyJsonObject, PyJsonValue } from "../layout/py-json.ts";

/** `list_bucket_tree(bucket_id, prefix=None, recursive=False)`. */
export interface ListBucketTreeParams {
  bucketId: string;
  prefix: string | null;
  recursive: boolean;
}

/** `download_bucket_files(bucket_id, files=[[remote_path, local_path], …])`. */
export interface DownloadBucketFilesParams {
  bucketId: string;
  files: Array<readonly [remotePath: string, localPath: string]>;
}

/** `batch_bucket_files(bucket_id, add=[[source, dest], …] | None, delete=[path, …] | None)`. */
export interface BatchBucketFilesParams {
  bucketId: string;
  /** `source` is a local file path, or `"bytes:"` followed by the literal content. */
  add: Array<readonly [source: string, destination: string]>;
  delete: string[];
}

/** The store work behind each method; each returns the method's result object. */
export interface BucketMethodHandlers {
  listBucketTree(params: ListBucketTreeParams): Promise<PyJsonObject>;
  downloadBucketFiles(params: DownloadBucketFilesParams): Promise<PyJsonObject>;
  batchBucketFiles(params: BatchBucketFilesParams): Promise<PyJsonObject>;
}

/**
 * Answers one request body. Never throws: every failure becomes `{"error": "<Type>: <message>"}`
 * as the Python server's `f"{type(e).__name__}: {e}"` does.
 */
export async function handleBucketRequest(
  body: Uint8Array | string,
  handlers: BucketMethodHandlers,
): Promise<PyJsonObject> {
  try {
    const text = typeof body === "string" ? body : Buffer.from(body).toString("utf8");
    const parsed = parsePyJson(text);
    if (!parsed.ok) return errorResponse(`JSONDecodeError: ${parsed.reason}`);
    const request = parsed.value;
    if (!isPyJsonObject(request)) return errorResponse("TypeError: the request must be a JSON object");
    if (!Object.hasOwn(request, "method")) return errorResponse("KeyError: 'method'");
    const method = request.method;
    const params = Object.hasOwn(request, "params") ? request.params : {};
    if (!isPyJsonObject(params)) {
      return errorResponse(`TypeError: argument after ** must be a mapping, not ${pyTypeName(params)}`);
    }
    switch (method) {
      case "ping":
        bindParams("ping", params, []);
        return { status: "ok" };
      case "list_bucket_tree": {
        const args = bindParams("list_bucket_tree", params, [
          { name: "bucket_id", required: true },
          { name: "prefix" },
          { name: "recursive" },
        ]);
        return await handlers.listBucketTree({
          bucketId: stringParam(args, "bucket_id"),
          prefix: optionalStringParam(args, "prefix"),
          recursive: booleanParam(args, "recursive", false),
        });
      }
      case "download_bucket_files": {
        const args = bindParams("download_bucket_files", params, [
          { name: "bucket_id", required: true },
          { name: "files", required: true },
        ]);
        return await handlers.downloadBucketFiles({
          bucketId: stringParam(args, "bucket_id"),
          files: pairsParam(args, "files") ?? [],
        });
      }
      case "batch_bucket_files": {
        const args = bindParams("batch_bucket_files", params, [
          { name: "bucket_id", required: true },
          { name: "add" },
          { name: "delete" },
        ]);
        return await handlers.batchBucketFiles({
          bucketId: stringParam(args, "bucket_id"),
          add: pairsParam(args, "add") ?? [],
          delete: stringListParam(args, "delete") ?? [],
        });
      }
      default:
        return errorResponse(`Unknown method: ${typeof method === "string" ? method : pyRepr(method)}`);
    }
  } catch (error) {
    return errorResponse(formatPythonStyleError(error));
  }
}

/**
 * `"<Type>: <message>"` for any thrown value. A store error's HTTP status is kept in the text,
 * because optimum-neuron's client decides to retry by looking for "429", "503", "timeout", ….
 */
export function formatPythonStyleError(error: unknown): string {
  if (!(error instanceof Error)) return `Exception: ${String(error)}`;
  let message = error.message;
  if (error instanceof StoreError && error.status !== undefined && !message.includes(String(error.status))) {
    message += ` (HTTP ${error.status})`;
  }
  return `${error.name}: ${message}`;
}

// --- internal ---

/** A Python-style TypeError for a bad call, so messages read like the original server's. */
class ParamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TypeError";
  }
}

interface ParamSpec {
  name: string;
  required?: boolean;
}

function errorResponse(message: string): PyJsonObject {
  return { error: message };
}

function bindParams(
  method: string,
  params: PyJsonObject,
  specs: readonly ParamSpec[],
): Map<string, PyJsonValue> {
  const known = new Set(specs.map((spec) => spec.name));
  for (const key of Object.keys(params)) {
    if (!known.has(key)) throw new ParamError(`${method}() got an unexpected keyword argument '${key}'`);
  }
  const missing = specs.filter((spec) => spec.required === true && !Object.hasOwn(params, spec.name));
  if (missing.length > 0) {
    const names = missing.map((spec) => `'${spec.name}'`).join(" and ");
    const plural = missing.length === 1 ? "argument" : "arguments";
    throw new ParamError(`${method}() missing ${missing.length} required positional ${plural}: ${names}`);
  }
  const args = new Map<string, PyJsonValue>();
  for (const key of Object.keys(params)) args.set(key, params[key] as PyJsonValue);
  return args;
}

function stringParam(args: Map<string, PyJsonValue>, name: string): string {
  const value = args.get(name);
  if (typeof value !== "string") throw new ParamError(`${name} must be a string, not ${pyTypeName(value)}`);
  return value;
}

function optionalStringParam(args: Map<string, PyJsonValue>, name: string): string | null {
  const value = args.get(name);
  if (value === undefined || value === null) return null;
  if (typeof value !== "string")
    throw new ParamError(`${name} must be a string or None, not ${pyTypeName(value)}`);
  return value;
}

function booleanParam(args: Map<string, PyJsonValue>, name: string, fallback: boolean): boolean {
  const value = args.get(name);
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw new ParamError(`${name} must be a bool, not ${pyTypeName(value)}`);
  return value;
}

function pairsParam(args: Map<string, PyJsonValue>, name: string): Array<readonly [string, string]> | null {
  const value = args.get(name);
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw new ParamError(`${name} must be a list of [str, str] pairs`);
  return (value as readonly PyJsonValue[]).map((pair, index) => {
    if (
      !Array.isArray(pair) ||
      pair.length !== 2 ||
      typeof pair[0] !== "string" ||
      typeof pair[1] !== "string"
    ) {
      throw new ParamError(`${name}[${index}] must be a [str, str] pair`);
    }
    return [pair[0], pair[1]] as const;
  });
}

function stringListParam(args: Map<string, PyJsonValue>, name: string): string[] | null {
  const value = args.get(name);
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw new ParamError(`${name} must be a list of str`);
  return (value as readonly PyJsonValue[]).map((item, index) => {
    if (typeof item !== "string") throw new ParamError(`${name}[${index}] must be a str`);
    return item;
  });
}

function pyTypeName(value: PyJsonValue | undefined): string {
  if (value === null || value === undefined) return "NoneType";
  if (typeof value === "string") return "str";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "number" || typeof value === "bigint")
    return Number.isInteger(Number(value)) ? "int" : "float";
  if (Array.isArray(value)) return "list";
  return isPyJsonObject(value) ? "dict" : "float";
}

function pyRepr(value: PyJsonValue | undefined): string {
  if (value === undefined || value === null) return "None";
  if (typeof value === "boolean") return value ? "True" : "False";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  return pyTypeName(value);
}
