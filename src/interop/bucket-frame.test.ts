import { describe, expect, it } from "vitest";
import { createFrameDecoder, encodeFrame } from "./bucket-frame.ts";

const frame = (json: string): Buffer => {
  const body = Buffer.from(json, "utf8");
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length);
  return Buffer.concat([header, body]);
};

describe("encodeFrame", () => {
  it("writes a big-endian length and Python's default JSON spacing", () => {
    const bytes = encodeFrame({
      method: "list_bucket_tree",
      params: { bucket_id: "a/b", prefix: "neuronxcc-1/x", recursive: false },
    });
    const body =
      '{"method": "list_bucket_tree", "params": {"bucket_id": "a/b", "prefix": "neuronxcc-1/x", "recursive": false}}';
    expect(body.length).toBe(109);
    expect(bytes.readUInt32BE(0)).toBe(109);
    expect(bytes.subarray(4).toString("utf8")).toBe(body);
  });

  it("escapes non-ASCII as Python does", () => {
    expect(encodeFrame({ error: "é" }).subarray(4).toString()).toBe('{"error": "\\u00e9"}');
  });
});

describe("createFrameDecoder", () => {
  const bodies = (events: ReturnType<ReturnType<typeof createFrameDecoder>["push"]>) =>
    events.map((event) => (event.type === "frame" ? event.body.toString() : `too-large:${event.size}`));

  const cases: ReadonlyArray<{ what: string; chunks: Buffer[]; out: string[]; pending: number }> = [
    { what: "one whole frame", chunks: [frame('{"a": 1}')], out: ['{"a": 1}'], pending: 0 },
    {
      what: "two frames in one chunk",
      chunks: [Buffer.concat([frame("1"), frame("22")])],
      out: ["1", "22"],
      pending: 0,
    },
    { what: "an incomplete prefix", chunks: [Buffer.from([0, 0])], out: [], pending: 2 },
    { what: "a prefix without its body", chunks: [frame("abc").subarray(0, 5)], out: [], pending: 5 },
    {
      what: "a frame split byte by byte",
      chunks: [...frame('{"x": []}')].map((byte) => Buffer.from([byte])),
      out: ['{"x": []}'],
      pending: 0,
    },
    { what: "an empty body", chunks: [frame("")], out: [""], pending: 0 },
    {
      what: "a frame and the start of the next",
      chunks: [Buffer.concat([frame("1"), frame("22").subarray(0, 3)])],
      out: ["1"],
      pending: 3,
    },
  ];
  it.each(cases)("decodes $what", ({ chunks, out, pending }) => {
    const decoder = createFrameDecoder();
    const events = chunks.flatMap((chunk) => decoder.push(chunk));
    expect(bodies(events)).toEqual(out);
    expect(decoder.pendingBytes).toBe(pending);
  });

  it("reports an oversized frame once and then ignores the stream", () => {
    const decoder = createFrameDecoder({ maxFrameBytes: 4 });
    expect(bodies(decoder.push(Buffer.concat([frame("1"), frame("12345"), frame("2")])))).toEqual([
      "1",
      "too-large:5",
    ]);
    expect(decoder.push(frame("3"))).toEqual([]);
  });
});
