import type { SignResult } from "../../ops/sign.ts";

/** What was signed, what already was, and what was refused and why. */
export function renderSign(result: SignResult): string {
  const lines = [
    `Signed ${result.signed.length} ${result.signed.length === 1 ? "file" : "files"} in ${result.store} with ${result.key}` +
      (result.alreadySigned.length > 0 ? ` (${result.alreadySigned.length} already signed by it).` : "."),
  ];
  for (const refused of result.refused) lines.push(`  REFUSED ${refused.key}: ${refused.reason}`);
  for (const skip of result.skipped) lines.push(`  skipped ${skip.key}: ${skip.detail}`);
  for (const failure of result.failed) lines.push(`  FAILED ${failure.key}: ${failure.error}`);
  return lines.join("\n");
}
