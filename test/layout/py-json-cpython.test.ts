import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { exportRecordBody, exportRecordHash } from "../../src/layout/export-record.ts";
import { PyFloat, parsePyJson, pyFloat, pyJsonDumps } from "../../src/layout/py-json.ts";
import type { PyJsonObject, PyJsonValue } from "../../src/layout/py-json.ts";

// Compares the encoder with CPython's json module on generated configs; python3 runs once,
// with every case in one batch.
describe("pyJsonDumps against CPython", () => {
  it("matches json.dumps and the record hash on generated configs", () => {
    const random = mulberry32(0x5eed);
    const configs: PyJsonObject[] = [];
    for (let i = 0; i < 400; i++) configs.push(randomObject(random, 0));
    const python = runPython(configs);
    for (const [index, config] of configs.entries()) {
      const expected = python[index];
      if (expected === undefined) throw new Error(`python returned no result for case ${index}`);
      const [indented, compact, plain, hash] = expected;
      expect(exportRecordBody(config), `case ${index}`).toBe(indented);
      expect(pyJsonDumps(config, { sortKeys: true, compact: true }), `case ${index}`).toBe(compact);
      expect(pyJsonDumps(config), `case ${index}`).toBe(plain);
      expect(exportRecordHash(config), `case ${index}`).toBe(hash);
      // Reading Python's bytes back and writing them again gives the same bytes.
      const reparsed = parsePyJson(indented);
      expect(reparsed.ok && exportRecordBody(reparsed.value as PyJsonObject), `case ${index}`).toBe(indented);
    }
  });
});

// --- internal ---

const PYTHON_SCRIPT = String.raw`
import hashlib, json, sys
def decode(node):
    tag = node[0]
    if tag == "n": return None
    if tag == "b": return node[1]
    if tag == "i": return int(node[1])
    if tag == "f": return float(node[1])
    if tag == "s": return node[1]
    if tag == "a": return [decode(item) for item in node[1]]
    if tag == "o": return {key: decode(value) for key, value in node[1]}
    raise ValueError(tag)
out = []
for node in json.load(sys.stdin):
    cfg = decode(node)
    compact = json.dumps(cfg, sort_keys=True, separators=(",", ":"))
    out.append([json.dumps(cfg, sort_keys=True, indent=2), compact, json.dumps(cfg),
                hashlib.sha256(compact.encode()).hexdigest()[:8]])
json.dump(out, sys.stdout)
`;

type Tagged = readonly [string, unknown?];

function tag(value: PyJsonValue): Tagged {
  if (value === null) return ["n"];
  if (typeof value === "boolean") return ["b", value];
  if (typeof value === "bigint") return ["i", value.toString()];
  if (typeof value === "number")
    return Number.isInteger(value) ? ["i", BigInt(value).toString()] : ["f", String(value)];
  if (typeof value === "string") return ["s", value];
  if (value instanceof PyFloat) return ["f", Object.is(value.value, -0) ? "-0.0" : String(value.value)];
  if (Array.isArray(value)) return ["a", value.map(tag)];
  return ["o", Object.entries(value as PyJsonObject).map(([k, v]) => [k, tag(v)])];
}

function runPython(configs: readonly PyJsonObject[]): Array<[string, string, string, string]> {
  const result = spawnSync("python3", ["-c", PYTHON_SCRIPT], {
    input: JSON.stringify(configs.map(tag)),
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  if (result.status !== 0) throw new Error(`python3 failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Array<[string, string, string, string]>;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHAR_POOL = [
  "a",
  "Z",
  "0",
  "_",
  " ",
  '"',
  "\\",
  "/",
  "\n",
  "\t",
  "\u0000",
  "\u001f",
  "\u007f",
  "é",
  "ß",
  "\u2028",
  "\uE000",
  "\uFFFF",
  "😀",
  "\u{10000}",
  "\u{10FFFF}",
  "\uD800",
  "\uDFFF",
  "中",
  "~",
];

const FLOAT_POOL = [
  0,
  -0,
  1,
  -1,
  0.5,
  1e-5,
  1e-4,
  9.999e-5,
  1e16,
  9999999999999998,
  1e15,
  1e21,
  1e22,
  5e-324,
  2.2250738585072014e-308,
  1.7976931348623157e308,
  NaN,
  Infinity,
  -Infinity,
  0.1,
  0.30000000000000004,
  123.456,
  -7.25e-10,
  3.14159,
];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function randomString(random: () => number): string {
  const length = Math.floor(random() * 6);
  let out = "";
  for (let i = 0; i < length; i++) out += pick(random, CHAR_POOL);
  return out;
}

function randomFloat(random: () => number): number {
  if (random() < 0.5) return pick(random, FLOAT_POOL);
  const bytes = new DataView(new ArrayBuffer(8));
  bytes.setUint32(0, Math.floor(random() * 2 ** 32));
  bytes.setUint32(4, Math.floor(random() * 2 ** 32));
  return bytes.getFloat64(0);
}

function randomScalar(random: () => number): PyJsonValue {
  switch (Math.floor(random() * 8)) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return Math.floor((random() * 2 - 1) * Number.MAX_SAFE_INTEGER);
    case 3:
      return Math.floor(random() * 10000) - 5000;
    case 4:
      return BigInt(Math.floor(random() * 2 ** 30)) * 10n ** 20n;
    case 5:
    case 6: {
      const value = randomFloat(random);
      return Number.isInteger(value) || Object.is(value, -0) ? pyFloat(value) : value;
    }
    default:
      return randomString(random);
  }
}

function randomValue(random: () => number, depth: number): PyJsonValue {
  const roll = random();
  if (depth < 3 && roll < 0.15) return randomObject(random, depth + 1);
  if (depth < 3 && roll < 0.3) {
    const length = Math.floor(random() * 4);
    return Array.from({ length }, () => randomValue(random, depth + 1));
  }
  return randomScalar(random);
}

function randomObject(random: () => number, depth: number): PyJsonObject {
  const object: Record<string, PyJsonValue> = {};
  const size = Math.floor(random() * 6);
  for (let i = 0; i < size; i++) {
    Object.defineProperty(object, randomString(random), {
      value: randomValue(random, depth),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return object;
}
