import type { ExecResult } from "../exec-with-cache.ts";
import { plural } from "./fetch.ts";
import { formatDuration } from "./format.ts";
import { formatBytes } from "../../layout/format-bytes.ts";
import { renderMissExplanations } from "./miss-reasons.ts";

/** A short account on stderr after the command's own output. */
export function renderExec(result: ExecResult): string {
  const lines: string[] = [];
  const cache = result.cache;
  if (cache) {
    if (cache.fetch) {
      const fetched = cache.fetch.fetched.length;
      lines.push(
        `neff-cache: fetched ${fetched} ${plural(fetched, "entry", "entries")} (${formatBytes(cache.fetch.bytes)}) in ${formatDuration(cache.fetch.seconds * 1000)}`,
      );
    } else if (cache.fetchSkipped) lines.push(`neff-cache: no fetch (${cache.fetchSkipped})`);
    if (result.stoppedForCompile) {
      lines.push(
        `neff-cache: stopped the command: it started compiling ${cache.requireHit?.modules.join(", ")}, which the cache did not serve (require-hit); nothing published`,
      );
    }
    const misses = cache.misses;
    if (misses) {
      const count = misses.modules.length;
      lines.push(
        `neff-cache: ${count} ${plural(count, "entry", "entries")} compiled that the cache did not serve${
          misses.unexplained ? ` (not explained: ${misses.unexplained})` : ":"
        }`,
      );
      lines.push(...renderMissExplanations(misses.explanations, result.compilerVersion, "neff-cache:   "));
    }
    if (cache.sync) {
      const published = cache.sync.published.length;
      lines.push(
        `neff-cache: published ${published} new ${plural(published, "entry", "entries")} (${formatBytes(cache.sync.bytes)}) in ${formatDuration(cache.sync.seconds * 1000)}${
          cache.sync.record?.created ? "; export record written" : ""
        }`,
      );
    } else if (cache.syncSkipped) lines.push(`neff-cache: nothing published (${cache.syncSkipped})`);
  }
  const ended = result.signal ? `ended by ${result.signal}` : `exited ${result.exitCode}`;
  lines.push(`neff-cache: command ${ended} after ${formatDuration(result.commandSeconds * 1000)}`);
  return lines.join("\n");
}
