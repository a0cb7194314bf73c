const TRASH_MARKER = ".neff-cache-trash-";

/**
 * Hidden name a dir is renamed to before it is deleted, in the same parent: `.NAME` plus a
 * marker and a random suffix. The leading dot keeps it out of every `MODULE_*`/`neuronxcc-*`
 * pattern, so a crash mid-delete never leaves something that looks like an entry.
 */
export function trashName(name: string, random: string): string {
  return `.${name}${TRASH_MARKER}${random}`;
}

/** Whether a dir name is one `trashName` produced (a leftover of an interrupted delete). */
export function isTrashName(name: string): boolean {
  return name.startsWith(".") && name.includes(TRASH_MARKER);
}
