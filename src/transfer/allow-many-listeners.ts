import { setMaxListeners } from "node:events";

/**
 * Every transfer in flight listens on the caller's signal for as long as it runs; with dozens in
 * parallel Node would warn of a leak that is not one. Raises the limit for this signal only.
 */
export function allowManyListeners(signal: AbortSignal | undefined): void {
  if (signal) setMaxListeners(1000, signal);
}
