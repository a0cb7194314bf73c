import fsp from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../../test/fixtures/local-cache.ts";
import { findCompilerProcesses } from "./find-compiler-processes.ts";

let proc: string;
beforeEach(async () => {
  proc = await tempDir("neff-proc-");
});
afterEach(async () => {
  await fsp.rm(proc, { recursive: true, force: true });
});

async function fakeProcess(pid: number, comm: string, argv: string[]): Promise<void> {
  await fsp.mkdir(path.join(proc, String(pid)));
  await fsp.writeFile(path.join(proc, String(pid), "comm"), `${comm}\n`);
  await fsp.writeFile(path.join(proc, String(pid), "cmdline"), argv.join("\0") + "\0");
}

describe("findCompilerProcesses", () => {
  it("finds the compiler by comm, by argv[0] and as an interpreter's script", async () => {
    await fakeProcess(10, "neuronx-cc", ["/usr/bin/neuronx-cc", "compile"]);
    await fakeProcess(11, "walrus_driver", ["walrus_driver", "-i", "x"]);
    await fakeProcess(12, "python3", ["/usr/bin/python3", "-u", "/opt/venv/bin/neuronx-cc", "compile"]);
    await fakeProcess(13, "bash", ["bash", "-c", "echo neuronx-cc"]);
    await fakeProcess(14, "vim", ["vim", "neuronx-cc"]);
    await fsp.mkdir(path.join(proc, "self"));
    await fsp.mkdir(path.join(proc, "15"));
    expect(await findCompilerProcesses({ procDir: proc, selfPid: 1 })).toEqual([
      { pid: 10, name: "neuronx-cc" },
      { pid: 11, name: "walrus_driver" },
      { pid: 12, name: "neuronx-cc" },
    ]);
  });

  it("skips its own process and finds nothing without a proc file system", async () => {
    await fakeProcess(20, "neuronx-cc", ["neuronx-cc"]);
    expect(await findCompilerProcesses({ procDir: proc, selfPid: 20 })).toEqual([]);
    expect(await findCompilerProcesses({ procDir: path.join(proc, "missing") })).toEqual([]);
  });
});
