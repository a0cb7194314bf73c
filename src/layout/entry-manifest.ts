/**
 * The per-entry manifest: written into each published MODULE dir after every other file, it
 * lists the entry's files with size and sha256, so a reader can tell a complete entry from a
 * half-written one and verify every byte. Entries published by optimum-neuron have none; readers
 * then fall back to the `model.neff` + `model.done` rule. Placement: see `ENTRY_MANIFEST_FILE`.
 */
import { createHash } from "node:crypto";
import { ENTRY_MANIFEST_FILE, entryFileProblem, moduleNameProblem } from "./entry-files.ts";
import { versionProblem } from "./cache-layout.ts";
import { isPyJsonObject, parsePyJson, pyJsonDumps } from "./py-json.ts";
import type { PyJsonObject, PyJsonValue } from "./py-json.ts";

/** Format id written in every manifest; readers refuse other formats. */
export const ENTRY_MANIFEST_FORMAT = "neff-cache/entry-manifest";
/** Current format version; bumped only for changes old readers cannot ignore. */
export const ENTRY_MANIFEST_VERSION = 1;
/** Readers refuse a manifest larger than this (a real one lists a handful of files in ~1 KB). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** One file of the entry. */
export interface ManifestFile {
  /** File name inside the MODULE dir. */
  name: string;
  /** Size in bytes. */
  size: number;
  /** Lowercase hex SHA-256 of the bytes. */
  sha256: string;
}

/** Who wrote the entry. */
export interface ManifestProducer {
  /** Tool name, e.g. `neff-cache`. */
  tool: string;
  /** Tool version. */
  version: string;
  /** `hashHostName(os.hostname())`: tells machines apart without publishing host names. */
  hostHash?: string;
}

/**
 * What explains an entry's key, recorded at publish so a miss can be explained later. Every
 * field is optional: entries published before these existed, or by optimum-neuron, have none.
 */
export interface ManifestKeyFactors {
  /** The compiler flags, as `compile_flags.json` lists them. */
  compileFlags?: string[];
  /** `exportRecordHash` of the export configuration the entry was compiled for. */
  exportConfigHash?: string;
  /** How long the compile took, when the publishing `exec` saw it happen. */
  compileMs?: number;
}

/** A parsed manifest. */
export interface EntryManifest {
  formatVersion: number;
  /** MODULE dir name the manifest describes (guards against a manifest copied elsewhere). */
  module: string;
  /** Full neuronx-cc version. */
  compilerVersion: string;
  /** Sorted by name; never includes the manifest itself. */
  files: ManifestFile[];
  producer: ManifestProducer;
  /** ISO-8601 UTC time the entry was published. */
  createdAt: string;
  /** Empty (or absent, in a manifest built by hand) when nothing was known at publish. */
  keyFactors?: ManifestKeyFactors;
}

/** Input of `buildManifest`. */
export interface BuildManifestOptions {
  module: string;
  compilerVersion: string;
  files: readonly ManifestFile[];
  producer: ManifestProducer;
  createdAt: Date;
  keyFactors?: ManifestKeyFactors;
}

/** Result of `parseManifest`: the manifest, or why it cannot be trusted. */
export type ManifestParseResult = { ok: true; manifest: EntryManifest } | { ok: false; reason: string };

/**
 * The manifest's bytes: sorted-key, 2-space JSON, so the same entry always gives the same bytes
 * (the copies in the flat and per-model areas are then one object to a deduplicating store).
 * Throws a TypeError on input no reader would accept (programming error, not user input).
 */
export function buildManifest(options: BuildManifestOptions): string {
  const files = [...options.files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const manifest: EntryManifest = {
    formatVersion: ENTRY_MANIFEST_VERSION,
    module: options.module,
    compilerVersion: options.compilerVersion,
    files: files.map((file) => ({ name: file.name, size: file.size, sha256: file.sha256 })),
    producer: { ...options.producer },
    createdAt: options.createdAt.toISOString(),
    keyFactors: { ...options.keyFactors },
  };
  const problem = manifestProblem(manifest);
  if (problem !== null) throw new TypeError(`Cannot build an entry manifest: ${problem}`);
  const producer: Record<string, PyJsonValue> = {
    tool: manifest.producer.tool,
    version: manifest.producer.version,
  };
  if (manifest.producer.hostHash !== undefined) producer.hostHash = manifest.producer.hostHash;
  const body: PyJsonObject = {
    format: ENTRY_MANIFEST_FORMAT,
    formatVersion: manifest.formatVersion,
    module: manifest.module,
    compilerVersion: manifest.compilerVersion,
    files: manifest.files.map((file) => ({ ...file })),
    producer,
    createdAt: manifest.createdAt,
    ...keyFactorsBody(manifest.keyFactors ?? {}),
  };
  return pyJsonDumps(body, { sortKeys: true, indent: 2 }) + "\n";
}

/** Reads a manifest; malformed, foreign or newer-format input gives a reason, never a throw. */
export function parseManifest(text: string): ManifestParseResult {
  const parsed = parsePyJson(text);
  if (!parsed.ok) return { ok: false, reason: `not valid JSON (${parsed.reason})` };
  const body = parsed.value;
  if (!isPyJsonObject(body)) return { ok: false, reason: "not a JSON object" };
  if (body.format !== ENTRY_MANIFEST_FORMAT)
    return { ok: false, reason: `format is not ${ENTRY_MANIFEST_FORMAT}` };
  if (typeof body.formatVersion !== "number" || !Number.isInteger(body.formatVersion)) {
    return { ok: false, reason: "formatVersion is not an integer" };
  }
  if (body.formatVersion > ENTRY_MANIFEST_VERSION) {
    return { ok: false, reason: `formatVersion ${body.formatVersion} is newer than this tool understands` };
  }
  const files: ManifestFile[] = [];
  if (!Array.isArray(body.files)) return { ok: false, reason: "files is not a list" };
  for (const item of body.files as readonly PyJsonValue[]) {
    if (!isPyJsonObject(item)) return { ok: false, reason: "a files item is not an object" };
    const { name, size, sha256 } = item;
    if (typeof name !== "string" || typeof size !== "number" || typeof sha256 !== "string") {
      return { ok: false, reason: "a files item lacks name, size or sha256" };
    }
    files.push({ name, size, sha256 });
  }
  const producer = body.producer;
  if (
    !isPyJsonObject(producer) ||
    typeof producer.tool !== "string" ||
    typeof producer.version !== "string"
  ) {
    return { ok: false, reason: "producer lacks tool or version" };
  }
  if (producer.hostHash !== undefined && typeof producer.hostHash !== "string") {
    return { ok: false, reason: "producer.hostHash is not a string" };
  }
  const { module, compilerVersion, createdAt } = body;
  if (typeof module !== "string" || typeof compilerVersion !== "string" || typeof createdAt !== "string") {
    return { ok: false, reason: "module, compilerVersion or createdAt is missing" };
  }
  const manifest: EntryManifest = {
    formatVersion: body.formatVersion,
    module,
    compilerVersion,
    files,
    producer: {
      tool: producer.tool,
      version: producer.version,
      ...(typeof producer.hostHash === "string" ? { hostHash: producer.hostHash } : {}),
    },
    createdAt,
    keyFactors: parseKeyFactors(body.keyFactors),
  };
  const problem = manifestProblem(manifest);
  return problem === null ? { ok: true, manifest } : { ok: false, reason: problem };
}

/** A short, stable, non-reversible tag for a host name (first 12 hex of its sha256). */
export function hashHostName(hostName: string): string {
  return createHash("sha256").update(hostName, "utf8").digest("hex").slice(0, 12);
}

// --- internal ---

const EXPORT_CONFIG_HASH = /^[0-9a-f]{8}$/;

/** The manifest's `keyFactors` field; none at all when nothing is known (the bytes stay as before). */
function keyFactorsBody(factors: ManifestKeyFactors): { keyFactors?: PyJsonObject } {
  const body: Record<string, PyJsonValue> = {};
  if (factors.compileFlags !== undefined) body.compileFlags = [...factors.compileFlags];
  if (factors.exportConfigHash !== undefined) body.exportConfigHash = factors.exportConfigHash;
  if (factors.compileMs !== undefined) body.compileMs = factors.compileMs;
  return Object.keys(body).length === 0 ? {} : { keyFactors: body };
}

/**
 * Key factors are advisory (they explain an entry, they never decide whether its bytes are good),
 * so a factor of the wrong shape is dropped rather than making the whole entry unusable.
 */
function parseKeyFactors(value: PyJsonValue | undefined): ManifestKeyFactors {
  if (!isPyJsonObject(value)) return {};
  const factors: ManifestKeyFactors = {};
  const { compileFlags, exportConfigHash, compileMs } = value;
  if (Array.isArray(compileFlags) && compileFlags.every((flag) => typeof flag === "string")) {
    factors.compileFlags = [...(compileFlags as string[])];
  }
  if (typeof exportConfigHash === "string" && EXPORT_CONFIG_HASH.test(exportConfigHash)) {
    factors.exportConfigHash = exportConfigHash;
  }
  if (typeof compileMs === "number" && Number.isSafeInteger(compileMs) && compileMs >= 0) {
    factors.compileMs = compileMs;
  }
  return factors;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

function manifestProblem(manifest: EntryManifest): string | null {
  const moduleIssue = moduleNameProblem(manifest.module);
  if (moduleIssue !== null) return `module ${JSON.stringify(manifest.module)}: ${moduleIssue}`;
  const versionIssue = versionProblem(manifest.compilerVersion);
  if (versionIssue !== null) return `compilerVersion: ${versionIssue}`;
  if (Number.isNaN(Date.parse(manifest.createdAt))) return "createdAt is not a date";
  if (manifest.files.length === 0) return "files is empty";
  const { exportConfigHash, compileMs, compileFlags } = manifest.keyFactors ?? {};
  if (exportConfigHash !== undefined && !EXPORT_CONFIG_HASH.test(exportConfigHash))
    return "keyFactors.exportConfigHash is not 8 hex digits";
  if (compileMs !== undefined && (!Number.isSafeInteger(compileMs) || compileMs < 0))
    return "keyFactors.compileMs is not a whole number of milliseconds";
  if (compileFlags?.some((flag) => typeof flag !== "string"))
    return "keyFactors.compileFlags holds a non-string";
  const names = new Set<string>();
  for (const file of manifest.files) {
    const fileIssue = entryFileProblem(file.name);
    if (fileIssue !== null) return `file ${JSON.stringify(file.name)}: ${fileIssue}`;
    if (file.name === ENTRY_MANIFEST_FILE) return "the manifest lists itself";
    if (names.has(file.name)) return `file ${file.name} is listed twice`;
    names.add(file.name);
    if (!Number.isSafeInteger(file.size) || file.size < 0) return `file ${file.name} has an invalid size`;
    if (!SHA256_HEX.test(file.sha256)) return `file ${file.name} has an invalid sha256`;
  }
  return null;
}
