/**
 * A stats-journal writer for the concurrency tests, run as its own process:
 *   node --import tsx test/support/append-stats-records.ts JOURNAL COUNT WRITER [MAX_BYTES]
 * appends COUNT records whose `modelId` is `writer-<WRITER>-<i>`.
 */
import { appendStatsRecord } from "../../src/local/stats-journal.ts";

const [journal = "", count = "0", writer = "0", maxBytes] = process.argv.slice(2);
for (let index = 0; index < Number(count); index += 1) {
  await appendStatsRecord({
    journal,
    ...(maxBytes === undefined ? {} : { maxBytes: Number(maxBytes) }),
    record: {
      at: new Date().toISOString(),
      command: "exec",
      store: "file:///shared/store",
      modelId: `writer-${writer}-${index}`,
      compilerVersion: "2.21.33363.0+82129205",
      hits: 1,
      misses: 0,
      entriesFetched: 1,
      bytesFetched: 1000,
      entriesPublished: 0,
      bytesPublished: 0,
      failed: 0,
      compileSeconds: 0,
      savedSeconds: 10,
      savedUnknown: 0,
    },
  });
}
