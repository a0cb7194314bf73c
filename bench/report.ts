/**
 * Renders results as a plain-text table (terminal) and as a markdown snippet (README's
 * Performance section). Pure: no I/O.
 */
import type { BenchResults, Comparison, TargetResult } from "./results.ts";

function seconds(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}

function runsOf(ms: readonly number[]): string {
  return ms.map((v) => seconds(v)).join(", ");
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

function requestSummary(comparison: Comparison): string {
  const part = (side: Comparison["candidate"]): string | null => {
    const counts = side.requests;
    if (!counts && !side.usage) return null;
    const kinds = Object.entries(counts ?? {})
      .filter(([kind]) => kind !== "total")
      .map(([kind, n]) => `${kind} ${n}`)
      .join(", ");
    const parallel = side.inFlight
      ? `, ${side.inFlight.mean} in flight on average, ${side.inFlight.max} at most`
      : "";
    const requests = counts ? `${counts.total} requests (${kinds}${parallel})` : "";
    const usage = side.usage
      ? `CPU ${seconds(side.usage.cpuMs)}, peak RSS ${(side.usage.peakRssBytes / 1e6).toFixed(0)} MB`
      : "";
    return `${side.label}: ${[requests, usage].filter(Boolean).join(", ")}`;
  };
  return [part(comparison.candidate), part(comparison.reference)]
    .filter((p): p is string => p !== null)
    .join("; ");
}

function judged(comparison: Comparison): string {
  return comparison.judgedBy === "ratio"
    ? `${comparison.ratio.toFixed(2)}×`
    : `+${comparison.differenceMs.toFixed(0)} ms`;
}

function verdict(target: TargetResult): string {
  if (target.pass === null) return "n/a";
  return target.pass ? "PASS" : "MISS";
}

function targetValue(target: TargetResult): string {
  if (target.value === null) return "not measured";
  if (target.unit === "×") return `${target.value.toFixed(2)}×`;
  return target.unit ? `${target.value} ${target.unit}` : String(target.value);
}

function pad(rows: string[][]): string {
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? "").length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** The terminal report: every comparison with medians and all runs, then the targets. */
export function renderText(results: BenchResults): string {
  const lines: string[] = [];
  const m = results.machine;
  lines.push(
    `neff-cache benchmark — ${results.date}${results.quick ? " (quick: smoke run, not a measurement)" : ""}`,
    `${m.cpus} × ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB, Node ${m.node}, ${m.rclone}, ${m.aws}`,
    `load average ${m.loadAverage.start} at start, ${m.loadAverage.end} at end (the gateway runs on the same cores)`,
    `concurrency: fetch ${results.concurrency.fetch}, sync ${results.concurrency.sync}; ${results.runs} runs per side (exec: ${results.execRuns}); ratio = neff-cache / reference`,
    "",
  );
  if (results.sets.length > 0) {
    lines.push(
      pad([
        ["set", "entries", "files", "size"],
        ...results.sets.map((s) => [s.name, String(s.entries), String(s.files), mib(s.bytes)]),
      ]),
      "",
    );
  }
  if (results.comparisons.length > 0) {
    const rows = [
      ["comparison", "neff-cache", "reference", "ratio / cost", "neff-cache runs", "reference runs"],
    ];
    for (const c of results.comparisons) {
      rows.push([
        c.title,
        seconds(c.candidate.ms.median),
        `${seconds(c.reference.ms.median)} (${c.reference.label})`,
        judged(c),
        runsOf(c.candidate.ms.runs),
        runsOf(c.reference.ms.runs),
      ]);
    }
    lines.push(pad(rows), "");
    const withRequests = results.comparisons.filter((c) => c.candidate.usage || c.candidate.requests);
    if (withRequests.length > 0) {
      lines.push(
        "one more run of each side (S3 ones through a counting proxy): requests, CPU (user + system), peak RSS",
      );
      for (const c of withRequests) lines.push(`  ${c.title}: ${requestSummary(c)}`);
      lines.push("");
    }
  }
  if (results.status) {
    const s = results.status;
    lines.push(
      `status on ${s.entries} entries: ${seconds(s.ms.median)} (runs ${runsOf(s.ms.runs)})` +
        (s.reference ? `; ${s.reference.label}: ${seconds(s.reference.ms.median)}` : ""),
      "",
    );
  }
  if (results.memory.length > 0) {
    lines.push(
      pad([
        ["peak RSS", "MB", "entry", "wall"],
        ...results.memory.map((r) => [
          r.label,
          (r.peakRssBytes / 1e6).toFixed(0),
          mib(r.entryBytes),
          seconds(r.ms),
        ]),
      ]),
      "",
    );
  }
  for (const s of results.skipped) lines.push(`skipped ${s.section}: ${s.reason}`);
  if (results.skipped.length > 0) lines.push("");
  lines.push(
    pad([
      ["target", "value", "limit", ""],
      ...results.targets.map((t) => [
        t.description,
        targetValue(t),
        t.limit,
        verdict(t) + (t.note ? ` (${t.note})` : ""),
      ]),
    ]),
  );
  return lines.join("\n") + "\n";
}

/** The markdown snippet the README includes. */
export function renderMarkdown(results: BenchResults): string {
  const m = results.machine;
  const out: string[] = [];
  out.push(
    `Measured ${results.date.slice(0, 10)} on ${m.cpus} × ${m.cpuModel}, ${(m.memoryBytes / 2 ** 30).toFixed(0)} GiB RAM, ` +
      `Node ${m.node}, against a local Ceph RGW on the same machine (1-minute load average ` +
      `${m.loadAverage.start} → ${m.loadAverage.end}); reference ${m.rclone} with the same ` +
      `concurrency (fetch ${results.concurrency.fetch}, sync ${results.concurrency.sync} parallel transfers). Medians of ${results.runs} alternated runs (warm exec: ${results.execRuns}); ` +
      "ratio = neff-cache / reference, below 1.00 is faster; requests and CPU time " +
      "(neff-cache / reference) come from one more run of each side, the S3 ones through a counting proxy." +
      (results.quick ? " **Quick run: smoke test of the harness, not a measurement.**" : ""),
    "",
  );
  if (results.sets.length > 0) {
    out.push("| set | entries | objects per area | size |", "|---|---:|---:|---:|");
    for (const s of results.sets) out.push(`| ${s.name} | ${s.entries} | ${s.files} | ${mib(s.bytes)} |`);
    out.push("");
  }
  if (results.comparisons.length > 0) {
    out.push(
      "| operation | neff-cache | reference | ratio / cost | requests | CPU (user + sys) |",
      "|---|---:|---|---:|---:|---:|",
    );
    const pair = (a: number | undefined, b: number | undefined, show: (v: number) => string): string =>
      a === undefined || b === undefined ? "" : `${show(a)} / ${show(b)}`;
    for (const c of results.comparisons) {
      const requests = pair(c.candidate.requests?.total, c.reference.requests?.total, String);
      const cpu = pair(c.candidate.usage?.cpuMs, c.reference.usage?.cpuMs, seconds);
      out.push(
        `| ${c.title} | ${seconds(c.candidate.ms.median)} | ${seconds(c.reference.ms.median)} (${c.reference.label}) | ` +
          `${judged(c)} | ${requests} | ${cpu} |`,
      );
    }
    out.push("");
  }
  if (results.status) {
    const st = results.status;
    out.push(
      `\`status --json\` on ${st.entries} entries: ${seconds(st.ms.median)}` +
        (st.reference ? ` (${st.reference.label}: ${seconds(st.reference.ms.median)})` : "") +
        ".",
      "",
    );
  }
  if (results.memory.length > 0) {
    out.push(
      "| peak RSS, one entry of " + mib(results.memory[0]?.entryBytes ?? 0) + " | MB | wall |",
      "|---|---:|---:|",
    );
    for (const r of results.memory)
      out.push(`| ${r.label} | ${(r.peakRssBytes / 1e6).toFixed(0)} | ${seconds(r.ms)} |`);
    out.push("");
  }
  out.push("| target | measured | limit | |", "|---|---:|---|---|");
  for (const t of results.targets)
    out.push(`| ${t.description} | ${targetValue(t)} | ${t.limit} | ${verdict(t)} |`);
  out.push(
    "",
    "Reproduce with `npm run bench` (all runs and request counts land in `bench/results/latest.json`).",
  );
  return out.join("\n") + "\n";
}
