import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createProgressLine } from "./progress.ts";

function sink(): { stream: Writable; text: () => string } {
  let out = "";
  return {
    stream: new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString();
        done();
      },
    }),
    text: () => out,
  };
}

describe("createProgressLine", () => {
  it("draws entries, bytes, rate and ETA on a terminal, and clears the line when stopped", () => {
    const out = sink();
    let now = 0;
    const line = createProgressLine(out.stream, true, "fetch", () => now);
    line.listener({ type: "plan", entries: 4, files: 16, bytes: 4 * 1024 * 1024 });
    now = 1000;
    line.listener({ type: "bytes", bytes: 1024 * 1024 });
    line.listener({ type: "entry-done", module: "MODULE_a+b", bytes: 1024 * 1024 });
    const last = out.text().split("\r\x1b[2K").at(-1);
    expect(last).toBe("fetch 1/4 entries, 1.0 MB/4.0 MB, 1.0 MB/s ETA 3s");
    line.stop();
    expect(out.text().endsWith("\r\x1b[2K")).toBe(true);
  });

  it("redraws at most ten times a second for byte events", () => {
    const out = sink();
    let now = 0;
    const line = createProgressLine(out.stream, true, "sync", () => now);
    line.listener({ type: "plan", entries: 1, files: 1, bytes: 1000 });
    for (let i = 0; i < 50; i++) {
      now += 1;
      line.listener({ type: "bytes", bytes: 10 });
    }
    expect(out.text().split("\r\x1b[2K").length - 1).toBeLessThanOrEqual(2);
  });

  it("writes nothing on a pipe", () => {
    const out = sink();
    const line = createProgressLine(out.stream, false, "fetch");
    line.listener({ type: "plan", entries: 1, files: 1, bytes: 10 });
    line.listener({ type: "entry-done", module: "MODULE_a+b", bytes: 10 });
    line.stop();
    expect(out.text()).toBe("");
  });
});
