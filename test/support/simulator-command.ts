import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** The argv that runs the compiler simulator from any working directory. */
export function simulatorCommand(): string[] {
  const loader = pathToFileURL(path.join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
  return [process.execPath, "--import", loader, path.join(ROOT, "tools/neuronx-cc-sim/main.ts")];
}
