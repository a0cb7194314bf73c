import { describe, expect, it } from "vitest";
import { classifyEntry, type EntryState } from "./classify-entry.ts";

describe("classifyEntry", () => {
  it.each<[string, string[], EntryState]>([
    [
      "a complete entry",
      ["model.hlo_module.pb", "compile_flags.json", "model.neff", "model.done"],
      "success",
    ],
    ["neff + done even with a log", ["model.neff", "model.done", "model.log"], "success"],
    ["neff + done even with a lock", ["model.neff", "model.done", "model.hlo_module.pb.lock"], "success"],
    ["a log without neff", ["model.hlo_module.pb", "compile_flags.json", "model.log"], "failed"],
    ["a log and a lock without neff", ["model.log", "model.hlo_module.pb.lock"], "failed"],
    ["a lock", ["model.hlo_module.pb", "model.hlo_module.pb.lock"], "locked"],
    ["any *.lock name", ["other.lock"], "locked"],
    ["neff without done and a lock", ["model.neff", "x.lock"], "locked"],
    ["neff + log without done and a lock", ["model.neff", "model.log", "x.lock"], "locked"],
    ["neff without done", ["model.hlo_module.pb", "model.neff"], "empty"],
    ["neff + log without done", ["model.neff", "model.log"], "empty"],
    ["done without neff", ["model.done"], "empty"],
    ["only the HLO", ["model.hlo_module.pb"], "empty"],
    ["nothing", [], "empty"],
    ["a legacy traced-model folder", ["config.json", "model.neuron"], "empty"],
  ])("classifies %s", (_name, files, expected) => {
    expect(classifyEntry(files)).toBe(expected);
  });
});
