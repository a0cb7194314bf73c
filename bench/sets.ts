/**
 * The benchmark's data sets, made by the project's synthetic-cache generator: only successful
 * entries (the ones fetch and sync move), deterministic names, sizes and bytes.
 */
import type { SyntheticProfile, SyntheticSizes } from "../tools/synthetic-cache/generate-synthetic-cache.ts";

const MiB = 1024 * 1024;

export interface SetSpec {
  name: string;
  profile: SyntheticProfile;
  /** Successful entries. */
  entries: number;
  /** Overrides of the profile's size ranges. */
  sizes?: Partial<SyntheticSizes>;
  /** The same shape, small enough for a smoke run of the harness (`--quick`). */
  quick: { entries: number; sizes?: Partial<SyntheticSizes> };
}

/** ~50 entries of one model with the generator's realistic mix (~250 MB). */
export const MODEL_SET: SetSpec = {
  name: "model",
  profile: "model",
  entries: 50,
  quick: { entries: 5 },
};

/** ~1,000 entries of small files (~4,000 objects): a cache dominated by per-request cost. */
export const MANY_SMALL_SET: SetSpec = {
  name: "many-small",
  profile: "small",
  entries: 1000,
  quick: { entries: 100 },
};

/** One entry whose NEFF is 1 GiB: the memory bound of streaming transfers. */
export const HUGE_ENTRY_SET: SetSpec = {
  name: "huge-entry",
  profile: "model",
  entries: 1,
  sizes: { neff: [1024 * MiB, 1024 * MiB] },
  quick: { entries: 1, sizes: { neff: [64 * MiB, 64 * MiB] } },
};
