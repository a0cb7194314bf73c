import { PartialFailureError } from "../errors.ts";

/** Turns a partial failure back into its result (rendered with exit code 6); rethrows anything else. */
export function partialResult<R>(error: unknown): R {
  if (error instanceof PartialFailureError) return error.result as R;
  throw error;
}
