/**
 * Opens the store a location names, importing only that backend (the S3 SDK alone costs
 * ~100 ms to load, which a command using a directory store should never pay).
 */
import type { StoreStalledError } from "../errors.ts";
import { UsageError } from "../errors.ts";
import { parseDuration } from "../layout/parse-duration.ts";
import type { StoreLocation } from "../layout/store-url.ts";
import type { Store } from "./store.ts";

export interface OpenStoreOptions {
  env: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
  /**
   * Told once when the store stops answering (see `createStallWatch`); a command passes its own
   * abort here so all of its work stops, not only the stalled store's next calls.
   */
  onStalled?: (error: StoreStalledError) => void;
}

/** The variable that sets the per-request timeout of S3 and Hugging Face stores. */
export const REQUEST_TIMEOUT_VARIABLE = "NEFF_CACHE_REQUEST_TIMEOUT";

export async function openStore(location: StoreLocation, options: OpenStoreOptions): Promise<Store> {
  options.signal?.throwIfAborted();
  switch (location.kind) {
    case "dir": {
      const { createDirStore } = await import("./dir/dir-store.ts");
      return createDirStore({ root: location.path });
    }
    case "hf": {
      const { createHfStore } = await import("./hf/hf-store.ts");
      const timeoutMs = requestTimeoutMs(options.env);
      return createHfStore({
        namespace: location.namespace,
        name: location.name,
        prefix: location.prefix,
        env: { ...options.env },
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
        ...(options.onStalled ? { onStalled: options.onStalled } : {}),
      });
    }
    case "s3": {
      const { createS3Store } = await import("./s3/s3-store.ts");
      const idleTimeoutMs = requestTimeoutMs(options.env);
      return createS3Store({
        bucket: location.bucket,
        prefix: location.prefix,
        env: options.env,
        ...(idleTimeoutMs === undefined ? {} : { idleTimeoutMs }),
        ...(options.onStalled ? { onStalled: options.onStalled } : {}),
      });
    }
  }
}

/** NEFF_CACHE_REQUEST_TIMEOUT in milliseconds; undefined leaves each backend's default. */
export function requestTimeoutMs(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const text = env[REQUEST_TIMEOUT_VARIABLE]?.trim();
  if (text === undefined || text === "") return undefined;
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch {
    ms = 0;
  }
  if (ms <= 0) {
    throw new UsageError(`${REQUEST_TIMEOUT_VARIABLE} ${JSON.stringify(text)} is not a positive duration.`, {
      hint: `Set it to a number with a unit, e.g. ${REQUEST_TIMEOUT_VARIABLE}=30s, or unset it for the defaults (S3 30s, Hugging Face 60s).`,
    });
  }
  return ms;
}
