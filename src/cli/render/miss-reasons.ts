import type { MissExplanation, MissReason, NearestConfig } from "../../layout/explain-miss.ts";
import type { ConfigDifference } from "../../layout/nearest-config.ts";

/** One sentence per reason; the first reason of a miss is its main one. */
export function describeMissReason(reason: MissReason, compilerVersion: string | null): string {
  switch (reason.kind) {
    case "store-entry-unusable":
      return `the store has this entry but it could not be used: ${reason.detail}`;
    case "cached-since":
      return reason.detail;
    case "other-flags": {
      const parts: string[] = [];
      if (reason.added !== null && reason.removed !== null) {
        if (reason.added.length > 0) parts.push(`this compile has ${flagList(reason.added)}`);
        if (reason.removed.length > 0) parts.push(`the cached one has ${flagList(reason.removed)}`);
        if (parts.length === 0) parts.push("the same flags in another order");
      } else if (reason.cachedFlags !== null)
        parts.push(`the cached one was compiled with ${flagList(reason.cachedFlags)}`);
      else parts.push("the flags of one side are unknown");
      return `the same graph is cached with other flags (${reason.cachedModule}): ${parts.join("; ")}`;
    }
    case "other-compiler-version":
      return `this entry is cached for compiler ${reason.compilerVersions.join(", ")}${
        compilerVersion === null ? "" : `, not for ${compilerVersion}`
      }`;
    case "other-graph": {
      let text = `the model and task have ${reason.entries} ${reason.entries === 1 ? "entry" : "entries"} for this compiler, none for this graph`;
      if (reason.cachedConfigHashes.length > 0)
        text += `; they were compiled for export configuration ${reason.cachedConfigHashes.join(", ")}`;
      if (reason.nearest.length > 0)
        text += `; nearest cached configurations: ${reason.nearest.map(describeNearest).join(" | ")}`;
      return text;
    }
    case "nothing-cached": {
      const has: string[] = [];
      if (reason.otherTasks.length > 0) has.push(`tasks ${reason.otherTasks.join(", ")}`);
      if (reason.otherCompilerVersions.length > 0)
        has.push(`compiler versions ${reason.otherCompilerVersions.join(", ")}`);
      return `nothing is cached for this model, task and compiler version; ${
        has.length > 0 ? `the store has it for ${has.join(" and ")}` : "the store has nothing for this model"
      }`;
    }
  }
}

/** Lines for a list of explained misses, indented under a heading the caller writes. */
export function renderMissExplanations(
  explanations: readonly MissExplanation[],
  compilerVersion: string | null,
  indent: string,
): string[] {
  const lines: string[] = [];
  for (const miss of explanations) {
    const [main, ...others] = miss.reasons;
    lines.push(
      `${indent}${miss.module}: ${main ? describeMissReason(main, compilerVersion) : "no reason found"}`,
    );
    for (const reason of others)
      lines.push(`${indent}  also: ${describeMissReason(reason, compilerVersion)}`);
  }
  return lines;
}

export function describeNearest(config: NearestConfig): string {
  return `${describeDifferences(config.differences)} [${config.task}, compiler ${config.compilerVersion}]`;
}

/** `batch_size 1 (yours 4), dtype float16 (yours bfloat16)`: the cached value, then the requested one. */
export function describeDifferences(differences: readonly ConfigDifference[]): string {
  if (differences.length === 0) return "identical";
  return differences
    .map(
      (difference) =>
        `${difference.field} ${difference.cached ?? "(none)"} (yours ${difference.requested ?? "(none)"})`,
    )
    .join(", ");
}

function flagList(flags: readonly string[]): string {
  return flags.length === 0 ? "no flags" : flags.join(" ");
}
