/**
 * Opens the store a location names, importing only that backend (the S3 SDK alone costs
 * ~100 ms to load, which a command using a directory store should never pay).
 */
import type { StoreLocation } from "../layout/store-url.ts";
import type { Store } from "./store.ts";

export interface OpenStoreOptions {
  env: Readonly<Record<string, string | undefined>>;
  signal?: AbortSignal;
}

export async function openStore(location: StoreLocation, options: OpenStoreOptions): Promise<Store> {
  options.signal?.throwIfAborted();
  switch (location.kind) {
    case "dir": {
      const { createDirStore } = await import("./dir/dir-store.ts");
      return createDirStore({ root: location.path });
    }
    case "hf": {
      const { createHfStore } = await import("./hf/hf-store.ts");
      return createHfStore({
        namespace: location.namespace,
        name: location.name,
        prefix: location.prefix,
        env: { ...options.env },
      });
    }
    case "s3": {
      const { createS3Store } = await import("./s3/s3-store.ts");
      return createS3Store({ bucket: location.bucket, prefix: location.prefix, env: options.env });
    }
  }
}
