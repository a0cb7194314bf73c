import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { entriesChangedSince, takeEntrySnapshot } from "./entry-snapshot.ts";

/** A dir's mtime comes from the kernel's coarse clock, a tick behind Date.now(): write after it. */
const AFTER_A_CLOCK_TICK_MS = 30;

describe("entry snapshots", () => {
  let versionDir: string;
  beforeEach(async () => {
    versionDir = path.join(await mkdtemp(path.join(tmpdir(), "neff-snapshot-")), "neuronxcc-2.19.0");
    for (const module of ["MODULE_a", "MODULE_b", "MODULE_c"]) {
      await mkdir(path.join(versionDir, module), { recursive: true });
      // Entry dirs older than the snapshot, as a fetch or an earlier compile leaves them.
      const past = new Date(Date.now() - 60_000);
      await utimes(path.join(versionDir, module), past, past);
    }
  });
  afterEach(async () => {
    await rm(path.dirname(versionDir), { recursive: true, force: true });
  });

  it("reports new entries and entries whose dir changed, in name order", async () => {
    const snapshot = await takeEntrySnapshot(versionDir);
    await sleep(AFTER_A_CLOCK_TICK_MS);
    await mkdir(path.join(versionDir, "MODULE_d"));
    await writeFile(path.join(versionDir, "MODULE_b", "model.neff"), "neff");
    await mkdir(path.join(versionDir, "not-an-entry"));
    expect(await entriesChangedSince(snapshot)).toEqual(["MODULE_b", "MODULE_d"]);
  });

  it("does not look again at entries known complete, and still sees the others change", async () => {
    const snapshot = await takeEntrySnapshot(versionDir, new Set(["MODULE_a", "MODULE_b", "MODULE_gone"]));
    expect([...snapshot.complete].sort()).toEqual(["MODULE_a", "MODULE_b"]);
    await sleep(AFTER_A_CLOCK_TICK_MS);
    await writeFile(path.join(versionDir, "MODULE_a", "model.log"), "touched by the command");
    await writeFile(path.join(versionDir, "MODULE_c", "model.neff"), "compiled");
    expect(await entriesChangedSince(snapshot)).toEqual(["MODULE_c"]);
  });

  it("reports an entry created after the snapshot even under a name known complete before it existed", async () => {
    const snapshot = await takeEntrySnapshot(versionDir, new Set(["MODULE_new"]));
    await mkdir(path.join(versionDir, "MODULE_new"));
    expect(await entriesChangedSince(snapshot)).toEqual(["MODULE_new"]);
  });

  it("has no entries for a version dir that does not exist yet, then sees every new one", async () => {
    await rm(versionDir, { recursive: true });
    const snapshot = await takeEntrySnapshot(versionDir);
    expect(snapshot.names.size).toBe(0);
    await mkdir(path.join(versionDir, "MODULE_x"), { recursive: true });
    expect(await entriesChangedSince(snapshot)).toEqual(["MODULE_x"]);
  });
});
