/**
 * JSON text that is byte-identical to CPython's `json.dumps` (with `ensure_ascii=True`, the
 * default), and a reader that keeps what JavaScript's JSON would lose (float vs int, huge ints),
 * so a record written by Python can be read, re-encoded and hashed to the same bytes.
 *
 * JavaScript has one number type; Python has `int` and `float`, and prints `1` and `1.0`
 * differently. The convention here:
 *   - a JS `number` that is an integer is a Python `int` (`1` → `1`);
 *   - a JS `number` that is not an integer (or is NaN/±Infinity) can only be a Python `float`;
 *   - a `PyFloat` (made with `pyFloat(1)`) is always a Python `float` (`1.0`, `-0.0`, `1e+16`);
 *   - a `bigint` is a Python `int` of any size.
 * `parsePyJson` returns `PyFloat` for every number written with `.`, `e` or `E` (and for NaN and
 * ±Infinity), and `bigint` for integers beyond 2^53, so its output re-encodes to the same bytes.
 *
 * Without `sortKeys`, keys come out in JavaScript's property order, which puts integer-like keys
 * ("0", "42") first; Python keeps insertion order. Everything whose bytes matter (records, hashes,
 * manifests) is written with `sortKeys`, where the two agree.
 */

/** A number that Python holds as a `float`, so it prints as `1.0`, not `1`. */
export class PyFloat {
  readonly value: number;

  constructor(value: number) {
    this.value = value;
    Object.freeze(this);
  }
}

/** Marks `value` as a Python float: `pyFloat(1)` encodes as `1.0`. */
export function pyFloat(value: number): PyFloat {
  return new PyFloat(value);
}

/** A value `json.dumps` can encode. */
export type PyJsonValue = null | boolean | number | bigint | string | PyFloat | PyJsonArray | PyJsonObject;
/** A JSON array. */
export type PyJsonArray = readonly PyJsonValue[];
/** A JSON object (a Python `dict` with `str` keys). */
export interface PyJsonObject {
  readonly [key: string]: PyJsonValue;
}

/** How to lay out the text; the three shapes Python code in this system uses. */
export interface PyJsonDumpsOptions {
  /** `sort_keys=True`. @default false */
  sortKeys?: boolean;
  /** `indent=N` (separators then become `","` and `": "`). @default undefined (single line) */
  indent?: number;
  /**
   * `separators=(",", ":")`. Without it a single-line dump uses Python's default `", "` and `": "`.
   * @default false
   */
  compact?: boolean;
}

/**
 * `json.dumps(value, ...)` exactly as CPython writes it (`ensure_ascii=True`, `allow_nan=True`).
 * Throws a TypeError for values Python could not encode either (undefined, functions, symbols,
 * and cycles).
 */
export function pyJsonDumps(value: PyJsonValue, options: PyJsonDumpsOptions = {}): string {
  const indent = options.indent;
  const itemSeparator = indent !== undefined || options.compact === true ? "," : ", ";
  const keySeparator = options.compact === true && indent === undefined ? ":" : ": ";
  const sortKeys = options.sortKeys === true;
  const seen = new Set<object>();

  const encode = (current: PyJsonValue, depth: number): string => {
    if (current === null) return "null";
    switch (typeof current) {
      case "boolean":
        return current ? "true" : "false";
      case "string":
        return pyJsonString(current);
      case "bigint":
        return current.toString();
      case "number":
        return Number.isInteger(current) ? integerText(current) : pyFloatRepr(current);
      case "object":
        break;
      default:
        throw new TypeError(`Object of type ${typeof current} is not JSON serializable`);
    }
    if (current instanceof PyFloat) return pyFloatRepr(current.value);
    if (seen.has(current)) throw new TypeError("Circular reference detected");
    seen.add(current);
    try {
      const open = Array.isArray(current);
      const parts: string[] = [];
      if (open) {
        for (const item of current as PyJsonArray) parts.push(encode(item, depth + 1));
      } else {
        const object = current as PyJsonObject;
        const keys = Object.keys(object);
        if (sortKeys) keys.sort(compareCodePoints);
        for (const key of keys) {
          const item = object[key];
          if (item === undefined) throw new TypeError(`Value of key ${JSON.stringify(key)} is undefined`);
          parts.push(pyJsonString(key) + keySeparator + encode(item, depth + 1));
        }
      }
      const [start, end] = open ? ["[", "]"] : ["{", "}"];
      if (parts.length === 0) return start + end;
      if (indent === undefined) return start + parts.join(itemSeparator) + end;
      const inner = "\n" + " ".repeat(indent * (depth + 1));
      const outer = "\n" + " ".repeat(indent * depth);
      return start + inner + parts.join(itemSeparator + inner) + outer + end;
    } finally {
      seen.delete(current);
    }
  };

  return encode(value, 0);
}

/** A string literal as Python's `ensure_ascii` encoder writes it. */
export function pyJsonString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    if (unit >= 0x20 && unit <= 0x7e) {
      if (unit === 0x22) out += '\\"';
      else if (unit === 0x5c) out += "\\\\";
      else out += value[i];
      continue;
    }
    const short = SHORT_ESCAPES[unit];
    // UTF-16 code units map one-to-one onto Python's escapes: an astral character is already a
    // surrogate pair here, exactly the two \ud8xx\udcxx escapes Python writes for it.
    out += short ?? "\\u" + unit.toString(16).padStart(4, "0");
  }
  return out + '"';
}

/** Python's `float.__repr__`: shortest round-trip digits, `1.0`, `1e-05`, `1e+16`, `-0.0`, `NaN`. */
export function pyFloatRepr(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "Infinity";
  if (value === -Infinity) return "-Infinity";
  if (value === 0) return Object.is(value, -0) ? "-0.0" : "0.0";
  // toExponential() without an argument gives the shortest digits that round-trip, the same
  // digits Python's repr chooses; only the placement of the point differs.
  const match = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(value.toExponential());
  if (match === null) throw new Error(`Unexpected number form: ${value.toExponential()}`);
  const [, sign = "", lead = "", rest = "", exponentText = "0"] = match;
  const digits = lead + rest;
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const mantissa = rest === "" ? lead : `${lead}.${rest}`;
    const magnitude = String(Math.abs(exponent)).padStart(2, "0");
    return `${sign}${mantissa}e${exponent < 0 ? "-" : "+"}${magnitude}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fraction = digits.slice(exponent + 1);
  return `${sign}${whole}.${fraction === "" ? "0" : fraction}`;
}

/** Orders strings by Unicode code point, as Python sorts `str` (JS `sort()` uses UTF-16 units). */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i) ?? 0;
    const cb = b.codePointAt(j) ?? 0;
    if (ca !== cb) return ca < cb ? -1 : 1;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  const restA = a.length - i;
  const restB = b.length - j;
  return restA === restB ? 0 : restA < restB ? -1 : 1;
}

/** Result of `parsePyJson`: a value, or why the text is not JSON. */
export type PyJsonParseResult = { ok: true; value: PyJsonValue } | { ok: false; reason: string };

/**
 * Parses JSON as Python's `json.loads` does (NaN and ±Infinity accepted, the last of duplicate
 * keys wins, raw control characters in strings rejected), keeping floats as `PyFloat` and
 * integers beyond 2^53 as `bigint`. Never throws: malformed text gives `{ ok: false, reason }`.
 */
export function parsePyJson(text: string): PyJsonParseResult {
  const parser = { text, pos: 0 };
  try {
    skipWhitespace(parser);
    const value = parseValue(parser, 0);
    skipWhitespace(parser);
    if (parser.pos !== text.length) return { ok: false, reason: `extra data at offset ${parser.pos}` };
    return { ok: true, value };
  } catch (error) {
    if (error instanceof JsonSyntaxError) return { ok: false, reason: error.message };
    throw error;
  }
}

/** True when `value` is a JSON object (not an array, not a PyFloat). */
export function isPyJsonObject(value: PyJsonValue | undefined): value is PyJsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof PyFloat);
}

// --- internal ---

const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  0x08: "\\b",
  0x09: "\\t",
  0x0a: "\\n",
  0x0c: "\\f",
  0x0d: "\\r",
};

/** Nesting deeper than this is rejected instead of overflowing the stack on hostile input. */
const MAX_DEPTH = 512;

function integerText(value: number): string {
  // Python ints have no negative zero, and print every digit where JS would switch to 1e+21.
  if (value === 0) return "0";
  return Number.isSafeInteger(value) ? String(value) : BigInt(value).toString();
}

class JsonSyntaxError extends Error {}

interface Parser {
  text: string;
  pos: number;
}

function fail(parser: Parser, what: string): never {
  throw new JsonSyntaxError(`${what} at offset ${parser.pos}`);
}

function skipWhitespace(parser: Parser): void {
  const { text } = parser;
  while (parser.pos < text.length) {
    const c = text.charCodeAt(parser.pos);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
    parser.pos++;
  }
}

function parseValue(parser: Parser, depth: number): PyJsonValue {
  if (depth > MAX_DEPTH) fail(parser, "nesting too deep");
  const { text } = parser;
  const c = text[parser.pos];
  switch (c) {
    case "{":
      return parseObject(parser, depth);
    case "[":
      return parseArray(parser, depth);
    case '"':
      return parseString(parser);
    case undefined:
      return fail(parser, "unexpected end of input");
  }
  for (const [literal, value] of LITERALS) {
    if (text.startsWith(literal, parser.pos)) {
      parser.pos += literal.length;
      return value;
    }
  }
  return parseNumber(parser);
}

const LITERALS: ReadonlyArray<readonly [string, PyJsonValue]> = [
  ["null", null],
  ["true", true],
  ["false", false],
  ["NaN", pyFloat(NaN)],
  ["Infinity", pyFloat(Infinity)],
  ["-Infinity", pyFloat(-Infinity)],
];

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?/y;

function parseNumber(parser: Parser): PyJsonValue {
  NUMBER.lastIndex = parser.pos;
  const match = NUMBER.exec(parser.text);
  if (match === null) return fail(parser, "expecting a value");
  parser.pos += match[0].length;
  if (match[1] !== undefined || match[2] !== undefined) return pyFloat(Number(match[0]));
  const asNumber = Number(match[0]);
  return Number.isSafeInteger(asNumber) ? asNumber : BigInt(match[0]);
}

function parseString(parser: Parser): string {
  const { text } = parser;
  parser.pos++;
  let out = "";
  let runStart = parser.pos;
  while (parser.pos < text.length) {
    const c = text.charCodeAt(parser.pos);
    if (c === 0x22) {
      out += text.slice(runStart, parser.pos);
      parser.pos++;
      return out;
    }
    if (c < 0x20) fail(parser, "invalid control character in string");
    if (c !== 0x5c) {
      parser.pos++;
      continue;
    }
    out += text.slice(runStart, parser.pos);
    const escape = text[parser.pos + 1];
    if (escape === "u") {
      const hex = text.slice(parser.pos + 2, parser.pos + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail(parser, "invalid \\uXXXX escape");
      out += String.fromCharCode(parseInt(hex, 16));
      parser.pos += 6;
    } else {
      const decoded = escape === undefined ? undefined : UNESCAPES[escape];
      if (decoded === undefined) fail(parser, "invalid escape");
      out += decoded;
      parser.pos += 2;
    }
    runStart = parser.pos;
  }
  return fail(parser, "unterminated string");
}

const UNESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

function parseArray(parser: Parser, depth: number): PyJsonValue[] {
  parser.pos++;
  const items: PyJsonValue[] = [];
  skipWhitespace(parser);
  if (parser.text[parser.pos] === "]") {
    parser.pos++;
    return items;
  }
  for (;;) {
    skipWhitespace(parser);
    items.push(parseValue(parser, depth + 1));
    skipWhitespace(parser);
    const c = parser.text[parser.pos];
    parser.pos++;
    if (c === "]") return items;
    if (c !== ",") {
      parser.pos--;
      fail(parser, "expecting ',' delimiter");
    }
  }
}

function parseObject(parser: Parser, depth: number): PyJsonObject {
  parser.pos++;
  const object: Record<string, PyJsonValue> = {};
  skipWhitespace(parser);
  if (parser.text[parser.pos] === "}") {
    parser.pos++;
    return object;
  }
  for (;;) {
    skipWhitespace(parser);
    if (parser.text[parser.pos] !== '"') fail(parser, "expecting property name enclosed in double quotes");
    const key = parseString(parser);
    skipWhitespace(parser);
    if (parser.text[parser.pos] !== ":") fail(parser, "expecting ':' delimiter");
    parser.pos++;
    skipWhitespace(parser);
    const value = parseValue(parser, depth + 1);
    // defineProperty, not assignment: a "__proto__" key must stay an own key, never a prototype.
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
    skipWhitespace(parser);
    const c = parser.text[parser.pos];
    parser.pos++;
    if (c === "}") return object;
    if (c !== ",") {
      parser.pos--;
      fail(parser, "expecting ',' delimiter");
    }
  }
}
