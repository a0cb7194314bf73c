/**
 * Decides what `sign` must look at. Pure: a store listing and the signing key's id in, the signed
 * files to check out (entry manifests and export records) and what cannot be signed, with why.
 * Whether an entry's bytes still match its manifest is checked when the plan is carried out.
 */
import { ENTRY_MANIFEST_FILE } from "../layout/entry-files.ts";
import { classifyEntry } from "../layout/classify-entry.ts";
import { parseLayoutKey } from "../layout/parse-layout-key.ts";
import { parseSignatureName } from "../layout/signature-name.ts";
import type { StoreObject } from "../store/store.ts";

/** One signed file: an entry's manifest (with the entry's files) or an export record. */
export type SignTarget =
  | {
      subject: "entry";
      /** The manifest's key. */
      key: string;
      module: string;
      /** The entry's files by name, manifest and signatures excluded. */
      files: ReadonlyMap<string, StoreObject>;
      /** The signing key already has a signature here (it is read and checked, not trusted). */
      hasOwnSignature: boolean;
    }
  | { subject: "record"; key: string; hasOwnSignature: boolean };

export type SignSkipReason =
  /** Published by a tool that writes no manifest: there is nothing that lists the bytes to sign. */
  | "no-manifest"
  /** Failed, locked or half-written: never signed. */
  | "incomplete";

export interface SignSkip {
  /** The entry's prefix. */
  key: string;
  reason: SignSkipReason;
  detail: string;
}

export interface SignPlan {
  targets: SignTarget[];
  skipped: SignSkip[];
}

/** Groups a listing into signable files; keys outside the layout are ignored. */
export function planSign(objects: Iterable<StoreObject>, keyId: string): SignPlan {
  const entries = new Map<
    string,
    { module: string; files: Map<string, StoreObject>; signers: Set<string> }
  >();
  const records = new Map<string, { exists: boolean; signers: Set<string> }>();
  for (const object of objects) {
    const parsed = parseLayoutKey(object.key);
    if (!parsed.ok) continue;
    const key = parsed.key;
    if (key.area === "record") {
      const recordKey =
        key.signatureKeyId === undefined ? object.key : (parseSignatureName(object.key)?.signed ?? "");
      let record = records.get(recordKey);
      if (!record) records.set(recordKey, (record = { exists: false, signers: new Set() }));
      if (key.signatureKeyId === undefined) record.exists = true;
      else record.signers.add(key.signatureKeyId);
      continue;
    }
    const prefix = object.key.slice(0, object.key.length - key.file.length - 1);
    let entry = entries.get(prefix);
    if (!entry) entries.set(prefix, (entry = { module: key.module, files: new Map(), signers: new Set() }));
    if (key.role === "signature") {
      const signature = parseSignatureName(key.file);
      if (signature) entry.signers.add(signature.keyId);
    } else {
      entry.files.set(key.file, object);
    }
  }

  const plan: SignPlan = { targets: [], skipped: [] };
  for (const [prefix, entry] of [...entries].sort(([a], [b]) => compare(a, b))) {
    const manifest = entry.files.get(ENTRY_MANIFEST_FILE);
    entry.files.delete(ENTRY_MANIFEST_FILE);
    const state = classifyEntry(entry.files.keys());
    if (state !== "success") {
      plan.skipped.push({
        key: prefix,
        reason: "incomplete",
        detail: `the entry is ${state}, not a complete success`,
      });
    } else if (manifest === undefined) {
      plan.skipped.push({
        key: prefix,
        reason: "no-manifest",
        detail: "it has no neff-cache manifest listing its bytes; publish it with neff-cache sync to sign it",
      });
    } else {
      plan.targets.push({
        subject: "entry",
        key: manifest.key,
        module: entry.module,
        files: entry.files,
        hasOwnSignature: entry.signers.has(keyId),
      });
    }
  }
  for (const [key, record] of [...records].sort(([a], [b]) => compare(a, b))) {
    // A signature whose record is gone signs nothing; it is left for prune to remove.
    if (record.exists)
      plan.targets.push({ subject: "record", key, hasOwnSignature: record.signers.has(keyId) });
  }
  return plan;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
