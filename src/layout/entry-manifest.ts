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
}

/** Input of `buildManifest`. */
export interface BuildManifestOptions {
  module: string;
  compilerVersion: string;
  files: readonly ManifestFile[];
  producer: ManifestProducer;
  createdAt: Date;
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
  };
  const problem = manifestProblem(manifest);
  return problem === null ? { ok: true, manifest } : { ok: false, reason: problem };
}

/** A short, stable, non-reversible tag for a host name (first 12 hex of its sha256). */
export function hashHostName(hostName: string): string {
  return createHash("sha256").update(hostName, "utf8").digest("hex").slice(0, 12);
}

// --- internal ---

const SHA256_HEX = /^[0-9a-f]{64}$/;

function manifestProblem(manifest: EntryManifest): string | null {
  const moduleIssue = moduleNameProblem(manifest.module);
  if (moduleIssue !== null) return `module ${JSON.stringify(manifest.module)}: ${moduleIssue}`;
  const versionIssue = versionProblem(manifest.compilerVersion);
  if (versionIssue !== null) return `compilerVersion: ${versionIssue}`;
  if (Number.isNaN(Date.parse(manifest.createdAt))) return "createdAt is not a date";
  if (manifest.files.length === 0) return "files is empty";
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
