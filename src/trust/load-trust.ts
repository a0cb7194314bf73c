/**
 * Reads the keys a command was given: the producer's signing key (`--signing-key FILE`, else
 * NEFF_CACHE_SIGNING_KEY) and a consumer's trust policy (`--trust FILE.pub|FINGERPRINT`,
 * repeatable, plus NEFF_CACHE_TRUST; `--revoke`, plus NEFF_CACHE_REVOKED; lists in the variables
 * are comma-separated). Errors name the file, never its contents.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.ts";
import { errorCode } from "../local/error-code.ts";
import type { ProducerPublicKey, ProducerSigningKey } from "./producer-key.ts";
import { isFingerprint, parsePublicKey, parseSigningKey } from "./producer-key.ts";
import type { TrustPolicy } from "./signature-file.ts";

/** Key files are a few hundred bytes. */
const MAX_KEY_FILE_BYTES = 64 * 1024;

export interface TrustInput {
  /** `--trust` values. */
  trust?: readonly string[];
  /** `--revoke` values. */
  revoke?: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** Relative key file paths are read from here. */
  cwd: string;
}

/** The trust policy, or null when nothing is trusted (every entry is then usable, as before). */
export async function loadTrustPolicy(input: TrustInput): Promise<TrustPolicy | null> {
  const trustItems = [...(input.trust ?? []), ...splitList(input.env.NEFF_CACHE_TRUST)];
  const revokeItems = [...(input.revoke ?? []), ...splitList(input.env.NEFF_CACHE_REVOKED)];
  if (trustItems.length === 0) {
    if (revokeItems.length > 0) {
      throw new UsageError("--revoke (or NEFF_CACHE_REVOKED) was given without any trusted key.", {
        hint: "Name the producers you trust with --trust FILE.pub (or NEFF_CACHE_TRUST); revocation narrows that list.",
      });
    }
    return null;
  }
  const trusted = new Map<string, ProducerPublicKey | null>();
  for (const item of trustItems) {
    const key = await readTrustItem(item, "--trust", input.cwd);
    // A full key beats a bare fingerprint for the same key: it verifies without the copy in the file.
    if (key.publicKey !== null || !trusted.has(key.fingerprint)) trusted.set(key.fingerprint, key.publicKey);
  }
  const revoked = new Set<string>();
  for (const item of revokeItems) revoked.add((await readTrustItem(item, "--revoke", input.cwd)).fingerprint);
  return { trusted, revoked };
}

/** The signing key, or null when none was given. */
export async function loadSigningKey(
  file: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): Promise<ProducerSigningKey | null> {
  const given = file ?? (env.NEFF_CACHE_SIGNING_KEY || undefined);
  if (given === undefined) return null;
  const parsed = parseSigningKey(await readKeyFile(given, "--signing-key", cwd));
  if (!parsed.ok) {
    throw new UsageError(`The signing key ${given} cannot be used: ${parsed.reason}.`, {
      hint: "Pass the PATH.key file written by `neff-cache keygen --out PATH`.",
    });
  }
  return parsed.key;
}

// --- internal ---

async function readTrustItem(
  item: string,
  flag: string,
  cwd: string,
): Promise<{ fingerprint: string; publicKey: ProducerPublicKey | null }> {
  if (isFingerprint(item)) return { fingerprint: item, publicKey: null };
  const parsed = parsePublicKey(await readKeyFile(item, flag, cwd));
  if (!parsed.ok) {
    throw new UsageError(`${flag} ${item} cannot be used: ${parsed.reason}.`, {
      hint: "Give a PATH.pub file written by `neff-cache keygen`, or a fingerprint (ed25519: and 32 hex digits).",
    });
  }
  return { fingerprint: parsed.key.fingerprint, publicKey: parsed.key };
}

async function readKeyFile(file: string, flag: string, cwd: string): Promise<string> {
  let text: Buffer;
  try {
    text = await readFile(path.resolve(cwd, file));
  } catch (error) {
    const code = errorCode(error);
    const why =
      code === "ENOENT"
        ? "does not exist"
        : code === "EACCES"
          ? "is not readable"
          : code === "EISDIR"
            ? "is a directory"
            : `cannot be read (${code ?? "error"})`;
    throw new UsageError(`${flag} ${file} ${why}.`, {
      hint: "Create keys with `neff-cache keygen --out PATH` (PATH.key signs, PATH.pub is trusted).",
    });
  }
  if (text.length > MAX_KEY_FILE_BYTES) {
    throw new UsageError(`${flag} ${file} is not a key file (larger than ${MAX_KEY_FILE_BYTES} bytes).`);
  }
  return text.toString("utf8");
}

function splitList(value: string | undefined): string[] {
  return (value ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
