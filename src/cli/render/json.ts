import { randomBytes } from "node:crypto";
import { PyFloat, pyFloatRepr } from "../../layout/py-json.ts";
import type { Redactor } from "../redact.ts";

/**
 * The one JSON document a `--json` run prints: stable keys, Dates as ISO strings, secrets removed.
 * Record values print as the plain numbers Python wrote: a float stays a float (`1.0`, `1e-05`), an
 * integer beyond 2^53 keeps every digit, so `json.loads` of the document gives the record's values back.
 * NaN and ±Infinity, which Python writes but JSON has no number for, print as null.
 */
export function renderJson(data: unknown, redact: Redactor): string {
  // JSON.stringify can only emit numbers it can write itself, so exact number texts travel as marked
  // strings and are unquoted afterwards. The random mark cannot occur in a string of the data.
  const mark = `\u0000${randomBytes(12).toString("hex")}:`;
  const replacer = (_key: string, value: unknown): unknown => {
    if (value instanceof PyFloat)
      return Number.isFinite(value.value) ? mark + pyFloatRepr(value.value) : null;
    if (typeof value === "bigint") return mark + value.toString();
    if (value instanceof Error) return { name: value.name, message: value.message };
    return value;
  };
  const text = JSON.stringify(data, replacer, 2);
  // Every piece after an opening quote and mark starts with the number text and its closing quote.
  const [head = "", ...marked] = text.split(JSON.stringify(mark).slice(0, -1));
  const unquoted = marked.map((piece) => piece.replace('"', ""));
  return redact(head + unquoted.join(""));
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
