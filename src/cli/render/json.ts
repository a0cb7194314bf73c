import type { Redactor } from "../redact.ts";

/** The one JSON document a `--json` run prints: stable keys, Dates as ISO strings, secrets removed. */
export function renderJson(data: unknown, redact: Redactor): string {
  return redact(JSON.stringify(data, jsonReplacer, 2));
}

/** The `--json` document of a failed run. */
export function renderJsonError(
  error: { code: string; message: string; hint?: string | undefined },
  redact: Redactor,
): string {
  return renderJson(
    { ok: false, error: { code: error.code, message: error.message, hint: error.hint } },
    redact,
  );
}

// --- internal ---

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
