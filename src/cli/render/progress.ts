import type { Writable } from "node:stream";
import type { TransferEvent, TransferListener } from "../../transfer/transfer-progress.ts";
import { formatRate } from "./format.ts";
import { formatBytes } from "../../layout/format-bytes.ts";

export interface ProgressLine {
  listener: TransferListener;
  /** Clears the line; call before printing anything else. */
  stop(): void;
}

const REDRAW_MS = 100;

/**
 * A one-line progress display on a terminal (entries, bytes, rate, ETA), redrawn at most ten
 * times a second; on a pipe it draws nothing, so logs and `--json` stay clean.
 */
export function createProgressLine(
  stream: Writable,
  interactive: boolean,
  label: string,
  now = Date.now,
): ProgressLine {
  if (!interactive) return { listener: () => undefined, stop: () => undefined };
  const started = now();
  let totalEntries = 0;
  let totalBytes = 0;
  let doneEntries = 0;
  let doneBytes = 0;
  let lastDraw = 0;
  let drawn = false;
  const draw = (force: boolean): void => {
    const time = now();
    if (!force && time - lastDraw < REDRAW_MS) return;
    lastDraw = time;
    const seconds = Math.max((time - started) / 1000, 0.001);
    const rate = doneBytes / seconds;
    const eta =
      rate > 0 && totalBytes > doneBytes ? ` ETA ${Math.ceil((totalBytes - doneBytes) / rate)}s` : "";
    const text = `${label} ${doneEntries}/${totalEntries} entries, ${formatBytes(doneBytes)}/${formatBytes(totalBytes)}, ${formatRate(rate)}${eta}`;
    stream.write(`\r\x1b[2K${text}`);
    drawn = true;
  };
  const listener = (event: TransferEvent): void => {
    switch (event.type) {
      case "plan":
        totalEntries += event.entries;
        totalBytes += event.bytes;
        break;
      case "bytes":
        doneBytes += event.bytes;
        break;
      case "entry-done":
      case "entry-failed":
        doneEntries += 1;
        break;
    }
    draw(event.type !== "bytes");
  };
  return {
    listener,
    stop: () => {
      if (drawn) stream.write("\r\x1b[2K");
    },
  };
}
