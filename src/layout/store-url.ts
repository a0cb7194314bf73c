import { UsageError } from "../errors.ts";
import { storeKeyProblem } from "./store-key.ts";

/** Where a store lives, parsed from a URL or a bare Hugging Face bucket id. */
export type StoreLocation =
  | { kind: "dir"; path: string }
  | { kind: "s3"; bucket: string; prefix: string }
  | { kind: "hf"; namespace: string; name: string; prefix: string };

// Hub repo/bucket names: letters, digits, "-", "_", "."; no leading/trailing "-" or ".", no "--" or "..".
const HF_NAME = /^(?![.-])(?!.*(?:--|\.\.))[A-Za-z0-9._-]{1,96}(?<![.-])$/;
// S3 bucket naming rules (lowercase, digits, "-" and "."; 3–63 characters), relaxed to accept
// the underscores and capitals that some S3-compatible servers allow.
const S3_BUCKET = /^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$/;

const EXAMPLES =
  "hf://buckets/<namespace>/<name>[/prefix], <namespace>/<name>, s3://<bucket>[/prefix], file:///path";

/**
 * Parses a store reference. A value with "://" is a URL (`hf://buckets/ns/name[/prefix]`,
 * `s3://bucket[/prefix]`, `file:///path`); a value starting with "/", "./", "../" or "~" is a
 * directory; anything else must be a Hugging Face bucket id `namespace/name`.
 */
export function parseStoreUrl(value: string, home?: string): StoreLocation {
  const raw = value.trim();
  if (raw === "") throw invalid(value, "it is empty");
  const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(raw)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (raw.startsWith("/") || raw.startsWith("./") || raw.startsWith("../") || raw === "." || raw === "..") {
      return { kind: "dir", path: raw };
    }
    if (raw === "~" || raw.startsWith("~/")) {
      if (home === undefined) throw invalid(value, "'~' cannot be expanded without a home directory");
      return { kind: "dir", path: home + raw.slice(1) };
    }
    return parseHfBucket(value, raw.split("/"));
  }
  const rest = raw.slice(scheme.length + 3);
  switch (scheme) {
    case "file": {
      if (!rest.startsWith("/"))
        throw invalid(value, "a file URL needs an absolute path, as in file:///srv/cache");
      return { kind: "dir", path: decodeURIComponent(rest) };
    }
    case "s3": {
      const [bucket = "", ...prefixParts] = rest.split("/");
      if (!S3_BUCKET.test(bucket)) throw invalid(value, `"${bucket}" is not a valid S3 bucket name`);
      return { kind: "s3", bucket, prefix: parsePrefix(value, prefixParts) };
    }
    case "hf": {
      const parts = rest.split("/");
      if (parts[0] !== "buckets") {
        throw invalid(value, "only Hugging Face buckets are supported: hf://buckets/<namespace>/<name>");
      }
      return parseHfBucket(value, parts.slice(1));
    }
    default:
      throw invalid(value, `the scheme "${scheme}://" is not supported`);
  }
}

/** The canonical URL of a location (no secrets are ever part of one). */
export function formatStoreUrl(location: StoreLocation): string {
  switch (location.kind) {
    case "dir":
      return `file://${location.path}`;
    case "s3":
      return `s3://${location.bucket}${location.prefix ? `/${location.prefix}` : ""}`;
    case "hf":
      return `hf://buckets/${location.namespace}/${location.name}${location.prefix ? `/${location.prefix}` : ""}`;
  }
}

// --- internal ---

function parseHfBucket(value: string, parts: readonly string[]): StoreLocation {
  const [namespace = "", name = "", ...prefixParts] = parts;
  if (namespace === "" || name === "") {
    throw invalid(value, "a Hugging Face bucket id has the form <namespace>/<name>");
  }
  for (const part of [namespace, name]) {
    if (!HF_NAME.test(part))
      throw invalid(value, `"${part}" is not a valid Hugging Face namespace or bucket name`);
  }
  return { kind: "hf", namespace, name, prefix: parsePrefix(value, prefixParts) };
}

function parsePrefix(value: string, parts: readonly string[]): string {
  const trimmed = [...parts];
  while (trimmed.length > 0 && trimmed[trimmed.length - 1] === "") trimmed.pop();
  const prefix = trimmed.join("/");
  if (prefix === "") return "";
  const problem = storeKeyProblem(prefix);
  if (problem !== null) throw invalid(value, `its prefix "${prefix}" is not usable: ${problem}`);
  return prefix;
}

function invalid(value: string, problem: string): UsageError {
  return new UsageError(`Invalid bucket or store URL ${JSON.stringify(value)}: ${problem}.`, {
    hint: `Use one of: ${EXAMPLES}.`,
  });
}
