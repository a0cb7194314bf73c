import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { xetFileHash } from "./xet-file-hash.ts";

describe("xetFileHash", () => {
  it("returns 64 zeros for an empty stream", async () => {
    expect(await xetFileHash(Readable.from([]))).toBe("0".repeat(64));
  });

  it("hashes a one-chunk file as the spec's vector says", async () => {
    expect(await xetFileHash(Readable.from([Buffer.from("hello "), Buffer.from("world\n")]))).toBe(
      "a302d931b8763df0bfb9926b9ff26b11c2a77d5be8dde4ce1c8bb7202a6a8681",
    );
  });

  it("is the same however the bytes are split", async () => {
    const data = randomBytes(700_000);
    const whole = await xetFileHash(Readable.from([data]));
    const pieces = [
      data.subarray(0, 7),
      data.subarray(7, 9000),
      data.subarray(9000, 131_079),
      data.subarray(131_079),
    ];
    expect(await xetFileHash(Readable.from(pieces))).toBe(whole);
  });

  it("differs when one byte differs", async () => {
    const data = randomBytes(100_000);
    const other = Buffer.from(data);
    other[50_000] = (other[50_000] as number) ^ 1;
    expect(await xetFileHash(Readable.from([data]))).not.toBe(await xetFileHash(Readable.from([other])));
  });

  it("stops when aborted", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    await expect(xetFileHash(Readable.from([randomBytes(10)]), controller.signal)).rejects.toThrow("stop");
  });
});
