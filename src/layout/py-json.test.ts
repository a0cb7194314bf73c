import { describe, expect, it } from "vitest";
import { exportRecordBody, exportRecordHash } from "./export-record.ts";
import {
  PyFloat,
  compareCodePoints,
  parsePyJson,
  pyFloat,
  pyFloatRepr,
  pyJsonDumps,
  pyJsonString,
} from "./py-json.ts";
import type { PyJsonObject, PyJsonValue } from "./py-json.ts";

describe("pyFloatRepr", () => {
  const cases: ReadonlyArray<readonly [number, string]> = [
    [1, "1.0"],
    [-1, "-1.0"],
    [0, "0.0"],
    [-0, "-0.0"],
    [0.5, "0.5"],
    [1e-5, "1e-05"],
    [1e-4, "0.0001"],
    [0.00012345, "0.00012345"],
    [1e16, "1e+16"],
    [1e15, "1000000000000000.0"],
    [123456789012345.6, "123456789012345.6"],
    [1.5e300, "1.5e+300"],
    [5e-324, "5e-324"],
    [1.7976931348623157e308, "1.7976931348623157e+308"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1e21, "1e+21"],
    [-2.5e-7, "-2.5e-07"],
    [NaN, "NaN"],
    [Infinity, "Infinity"],
    [-Infinity, "-Infinity"],
  ];
  it.each(cases)("writes %s as %s", (value, expected) => {
    expect(pyFloatRepr(value)).toBe(expected);
  });
});

describe("pyJsonString", () => {
  it("escapes non-ASCII with lowercase hex and astral characters as surrogate pairs", () => {
    expect(pyJsonString("é")).toBe('"\\u00e9"');
    expect(pyJsonString("😀")).toBe('"\\ud83d\\ude00"');
    expect(pyJsonString("\u007f")).toBe('"\\u007f"');
  });

  it("uses short escapes for quote, backslash and the five C escapes", () => {
    expect(pyJsonString('"\\\b\f\n\r\t\u0001/')).toBe('"\\"\\\\\\b\\f\\n\\r\\t\\u0001/"');
  });
});

describe("compareCodePoints", () => {
  it("sorts astral characters after U+E000..U+FFFF, as Python does", () => {
    const keys = ["\u{1F600}", "\uFFFF", "a", "\uE000"];
    expect([...keys].sort(compareCodePoints)).toEqual(["a", "\uE000", "\uFFFF", "\u{1F600}"]);
    expect([...keys].sort()).not.toEqual([...keys].sort(compareCodePoints));
  });

  it("orders a prefix before the longer string", () => {
    expect(compareCodePoints("ab", "abc")).toBe(-1);
    expect(compareCodePoints("abc", "ab")).toBe(1);
    expect(compareCodePoints("ab", "ab")).toBe(0);
  });
});

describe("pyJsonDumps", () => {
  it("uses Python's default separators on one line", () => {
    expect(pyJsonDumps({ b: [1, 2], a: null })).toBe('{"b": [1, 2], "a": null}');
  });

  it("writes empty containers without newlines when indenting", () => {
    expect(pyJsonDumps({ a: {}, b: [] }, { indent: 2 })).toBe('{\n  "a": {},\n  "b": []\n}');
  });

  it("keeps ints and floats apart", () => {
    expect(pyJsonDumps([1, pyFloat(1), 1.5, -0, pyFloat(-0), 2n ** 70n])).toBe(
      "[1, 1.0, 1.5, 0, -0.0, 1180591620717411303424]",
    );
  });

  it("writes integer-valued numbers beyond 2^53 with every digit, as Python ints", () => {
    expect(pyJsonDumps(1e21)).toBe("1000000000000000000000");
  });

  it("rejects values Python could not encode", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => pyJsonDumps(cyclic as PyJsonValue)).toThrow(/Circular/);
    expect(() => pyJsonDumps({ a: undefined } as unknown as PyJsonValue)).toThrow(TypeError);
  });
});

describe("parsePyJson", () => {
  it("returns PyFloat for numbers written with a point or exponent and bigint for huge ints", () => {
    const parsed = parsePyJson('{"a": 1.0, "b": 1, "c": 1e5, "d": 12345678901234567890, "e": -0.0}');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const value = parsed.value as PyJsonObject;
    expect(value.a).toBeInstanceOf(PyFloat);
    expect(value.b).toBe(1);
    expect(value.c).toEqual(pyFloat(1e5));
    expect(value.d).toBe(12345678901234567890n);
    expect(pyJsonDumps(parsed.value)).toBe(
      '{"a": 1.0, "b": 1, "c": 100000.0, "d": 12345678901234567890, "e": -0.0}',
    );
  });

  it("accepts NaN and Infinity as Python does", () => {
    const parsed = parsePyJson("[NaN, Infinity, -Infinity]");
    expect(parsed.ok && pyJsonDumps(parsed.value)).toBe("[NaN, Infinity, -Infinity]");
  });

  it("keeps a __proto__ key as an own key", () => {
    const parsed = parsePyJson('{"__proto__": {"polluted": true}}');
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(Object.keys(parsed.value as object)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(pyJsonDumps(parsed.value)).toBe('{"__proto__": {"polluted": true}}');
  });

  it("keeps the first position and the last value of a duplicate key", () => {
    const parsed = parsePyJson('{"a": 1, "b": 2, "a": 3}');
    expect(parsed.ok && pyJsonDumps(parsed.value)).toBe('{"a": 3, "b": 2}');
  });

  const malformed: ReadonlyArray<readonly [string, string]> = [
    ["", "unexpected end"],
    ["{", "expecting property name"],
    ['{"a" 1}', "expecting ':'"],
    ["[1 2]", "expecting ','"],
    ['"a\u0001"', "control character"],
    ['"\\x"', "invalid escape"],
    ['"\\u12"', "invalid \\uXXXX"],
    ["01", "extra data"],
    ["[1] x", "extra data"],
    ["nul", "expecting a value"],
    ['"abc', "unterminated"],
    ["[".repeat(1000), "too deep"],
  ];
  it.each(malformed)("rejects %j with a reason", (text, reason) => {
    const parsed = parsePyJson(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });
});

describe("exportRecordHash", () => {
  // Vectors computed with CPython's json module and hashlib.
  const vectors: ReadonlyArray<readonly [PyJsonObject, string]> = [
    [
      {
        batch_size: 1,
        sequence_length: 4096,
        tp_degree: 8,
        torch_dtype: "bfloat16",
        on_device_sampling: true,
      },
      "5f480bf6",
    ],
    [{ batch_size: 1 }, "db8be9fb"],
    [{ b: 2, a: 1 }, "43258cff"],
    [{ a: { nested: true }, b: [1, 2, 3] }, "d9512971"],
    [{ x: pyFloat(1), y: "é", z: null, w: 1e-5, v: pyFloat(1e16) }, "284c08c7"],
  ];
  it.each(vectors)("hashes %j to %s", (config, hash) => {
    expect(exportRecordHash(config)).toBe(hash);
  });
});

describe("exportRecordBody", () => {
  it("matches Python's indent=2 sorted output byte for byte, without a trailing newline", () => {
    const config = {
      batch_size: 1,
      sequence_length: 4096,
      tp_degree: 8,
      torch_dtype: "bfloat16",
      on_device_sampling: true,
    };
    expect(exportRecordBody(config)).toBe(
      '{\n  "batch_size": 1,\n  "on_device_sampling": true,\n  "sequence_length": 4096,\n  "torch_dtype": "bfloat16",\n  "tp_degree": 8\n}',
    );
  });
});
