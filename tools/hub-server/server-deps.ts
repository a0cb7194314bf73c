import type { Auth } from "./create-auth.ts";
import type { FaultController } from "./create-faults.ts";
import type { StatsRecorder } from "./create-stats.ts";
import type { Storage } from "./create-storage.ts";
import type { XetHasher } from "./xet-hash.ts";

/** What the route handlers share; one instance per server. */
export interface ServerDeps {
  storage: Storage;
  auth: Auth;
  faults: FaultController;
  recorder: StatsRecorder;
  hasher: XetHasher;
  /** Key of the chunk hashes in global-dedup answers; null for raw hashes. */
  dedupKey: Uint8Array | null;
  /** Clock in epoch milliseconds. */
  now: () => number;
  /** Key that signs transfer URLs, so they work without an Authorization header like presigned URLs. */
  urlSecret: Uint8Array;
  /** Lifetime of signed transfer URLs. */
  transferUrlTtlSeconds: number;
  /** Whether buckets created without an explicit visibility are private. */
  privateByDefault: boolean;
}
