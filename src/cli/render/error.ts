import { NeffCacheError } from "../../errors.ts";

export interface RenderedError {
  code: string;
  message: string;
  hint: string | undefined;
  exitCode: number;
  /** True for failures the user did not cause: a bug to report. */
  internal: boolean;
}

/** Turns anything thrown into what the user is told. Stacks only for internal errors with --verbose. */
export function describeError(error: unknown): RenderedError {
  if (error instanceof NeffCacheError) {
    return {
      code: error.code,
      message: error.message,
      hint: error.hint,
      exitCode: error.exitCode,
      internal: false,
    };
  }
  if (error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError")) {
    return { code: "E_ABORTED", message: "Interrupted.", hint: undefined, exitCode: 130, internal: false };
  }
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: "E_INTERNAL",
    message: `Internal error: ${message}`,
    hint: "This is a bug in neff-cache. Run again with --verbose and report the output.",
    exitCode: 1,
    internal: true,
  };
}

/** Human text for an error, on stderr. */
export function renderError(error: RenderedError, stack: string | undefined): string {
  const lines = [`neff-cache: ${error.message}`];
  if (error.hint) lines.push(`  ${error.hint}`);
  if (stack) lines.push(stack);
  return lines.join("\n");
}
