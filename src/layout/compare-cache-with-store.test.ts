import { describe, expect, it } from "vitest";
import type { LocalEntryState } from "./compare-cache-with-store.ts";
import { compareCacheWithStore } from "./compare-cache-with-store.ts";
import type { StoreEntryFacts } from "./explain-miss.ts";

const local = (module: string, state: LocalEntryState["state"], locked = false): LocalEntryState => ({
  module,
  state,
  locked,
});
const remote = (module: string, extra: Partial<StoreEntryFacts> = {}): StoreEntryFacts => ({
  compilerVersion: "2.21.0",
  task: "default",
  module,
  state: "success",
  compileFlags: null,
  graphSha256: null,
  exportConfigHash: null,
  problem: null,
  ...extra,
});

describe("compareCacheWithStore", () => {
  it("sorts every entry into shared, local only, store only and never published", () => {
    const result = compareCacheWithStore(
      [
        local("MODULE_both+1", "success"),
        local("MODULE_mine+1", "success"),
        local("MODULE_bad-there+1", "success"),
        local("MODULE_broken+1", "failed"),
        local("MODULE_busy+1", "empty", true),
        local("MODULE_never+1", "failed"),
      ],
      [
        remote("MODULE_both+1"),
        remote("MODULE_bad-there+1", { problem: "its manifest is unreadable" }),
        remote("MODULE_broken+1"),
        remote("MODULE_busy+1"),
        remote("MODULE_theirs+1"),
        remote("MODULE_half+1", { state: "locked" }),
      ],
    );
    expect(result.shared).toEqual(["MODULE_both+1"]);
    expect(result.localOnly).toEqual(["MODULE_bad-there+1", "MODULE_mine+1"]);
    expect(result.unpublishable).toEqual([{ module: "MODULE_never+1", state: "failed" }]);
    expect(result.storeOnly.map((entry) => [entry.module, entry.reason])).toEqual([
      ["MODULE_broken+1", "local-broken"],
      ["MODULE_busy+1", "compiling-locally"],
      ["MODULE_half+1", "store-unusable"],
      ["MODULE_theirs+1", "not-fetched"],
    ]);
  });
});
