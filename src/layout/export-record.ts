/**
 * Export records: the advisory export configuration stored beside a model's entries. Name and
 * bytes follow optimum-neuron exactly, so records written by either implementation are found
 * and hashed identically by the other.
 */
import { createHash } from "node:crypto";
import { isPyJsonObject, parsePyJson, pyJsonDumps } from "./py-json.ts";
import type { PyJsonObject } from "./py-json.ts";

/**
 * The largest export record read or written (1 MiB): a config of optimum-neuron's is a few KiB,
 * so anything larger is not one. `lookup` refuses larger records, and `--config` larger files.
 */
export const MAX_EXPORT_RECORD_BYTES = 1024 * 1024;

/** Length of the hex hash that names a record file (`<hash8>.json`). */
export const EXPORT_RECORD_HASH_LENGTH = 8;

/**
 * The record's name: the first 8 hex digits of sha256 over
 * `json.dumps(cfg, sort_keys=True, separators=(",", ":"))`.
 */
export function exportRecordHash(config: PyJsonObject): string {
  const canonical = pyJsonDumps(config, { sortKeys: true, compact: true });
  return createHash("sha256").update(canonical, "utf8").digest("hex").slice(0, EXPORT_RECORD_HASH_LENGTH);
}

/** The record's bytes: `json.dumps(cfg, sort_keys=True, indent=2)`, no trailing newline. */
export function exportRecordBody(config: PyJsonObject): string {
  return pyJsonDumps(config, { sortKeys: true, indent: 2 });
}

/** A record read back, or why it cannot be used. */
export type ExportRecordParseResult = { ok: true; config: PyJsonObject } | { ok: false; reason: string };

/**
 * Reads a record body. Floats stay floats (`1.0` remains `PyFloat(1)`), so the config re-encodes
 * and re-hashes to the same bytes. Malformed or non-object bodies come back as a reason.
 */
export function parseExportRecord(text: string): ExportRecordParseResult {
  const parsed = parsePyJson(text);
  if (!parsed.ok) return { ok: false, reason: `not valid JSON (${parsed.reason})` };
  if (!isPyJsonObject(parsed.value)) return { ok: false, reason: "the record is not a JSON object" };
  return { ok: true, config: parsed.value };
}
