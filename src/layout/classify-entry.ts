/** State of one compile-cache entry (a `MODULE_*` dir). */
export type EntryState = "success" | "failed" | "locked" | "empty";

/** Every state, in the order summaries list them. */
export const ENTRY_STATES: readonly EntryState[] = ["success", "failed", "locked", "empty"];

/** The files whose presence makes an entry a success, whatever else it holds (see classifyEntry). */
export const SUCCESS_FILES: readonly string[] = ["model.neff", "model.done"];

/**
 * Classifies an entry from the names of the files directly inside it, in the compiler cache's
 * precedence: `model.neff` + `model.done` is a success; else `model.log` without `model.neff`
 * is a cached failure; else any `*.lock` means a compile in progress (or a crashed one); else
 * the entry is empty. So a neff without its done marker is never a success.
 */
export function classifyEntry(fileNames: Iterable<string>): EntryState {
  let neff = false;
  let done = false;
  let log = false;
  let lock = false;
  for (const name of fileNames) {
    if (name === SUCCESS_FILES[0]) neff = true;
    else if (name === SUCCESS_FILES[1]) done = true;
    else if (name === "model.log") log = true;
    if (name.endsWith(".lock")) lock = true;
  }
  if (neff && done) return "success";
  if (log && !neff) return "failed";
  if (lock) return "locked";
  return "empty";
}
