/**
 * keygen: makes a producer key pair. `PATH.key` (private, mode 0600) signs what a trusted
 * producer publishes; `PATH.pub` is what consumers trust. Existing files are never replaced:
 * overwriting a private key would lock every consumer out of what it signed.
 */
import { open, rm } from "node:fs/promises";
import { UsageError } from "../errors.ts";
import { errorCode } from "../local/error-code.ts";
import { generateProducerKeyPair } from "../trust/producer-key.ts";

export interface KeygenOptions {
  /** Writes `out + ".key"` and `out + ".pub"`. */
  out: string;
}

export interface KeygenResult {
  fingerprint: string;
  privateKeyFile: string;
  publicKeyFile: string;
}

/** Writes a new key pair; refuses when either file exists. Never returns the private key. */
export async function keygen(options: KeygenOptions): Promise<KeygenResult> {
  if (options.out.length === 0 || options.out.endsWith("/")) {
    throw new UsageError(`--out ${JSON.stringify(options.out)} does not name a file.`, {
      hint: "Give a path without extension, e.g. --out ./ci-producer (writes ci-producer.key and ci-producer.pub).",
    });
  }
  const pair = generateProducerKeyPair();
  const privateKeyFile = `${options.out}.key`;
  const publicKeyFile = `${options.out}.pub`;
  await writeNew(privateKeyFile, pair.privatePem, 0o600);
  try {
    await writeNew(publicKeyFile, pair.publicPem, 0o644);
  } catch (error) {
    await rm(privateKeyFile, { force: true });
    throw error;
  }
  return { fingerprint: pair.fingerprint, privateKeyFile, publicKeyFile };
}

// --- internal ---

async function writeNew(path: string, text: string, mode: number): Promise<void> {
  let handle;
  try {
    handle = await open(path, "wx", mode);
  } catch (error) {
    const code = errorCode(error);
    if (code === "EEXIST") {
      throw new UsageError(`${path} already exists; keygen never replaces a key.`, {
        hint: "Choose another --out path, or remove the old key pair first if it is no longer used.",
      });
    }
    if (code === "ENOENT") {
      throw new UsageError(`The folder of ${path} does not exist.`, {
        hint: "Create it first, or choose another --out.",
      });
    }
    throw new UsageError(`${path} cannot be created (${code ?? "error"}).`, {
      hint: "Choose a writable --out path.",
    });
  }
  try {
    // The mode given to open() is masked by the umask; the private key must be 0600 whatever it is.
    await handle.chmod(mode);
    await handle.writeFile(text, "utf8");
  } finally {
    await handle.close();
  }
}
