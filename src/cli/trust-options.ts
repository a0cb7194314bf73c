/**
 * The trust flags that publishing and reading commands share: `--signing-key` (publishers) and
 * `--trust` / `--revoke` (readers). Key files are read relative to the command's working folder.
 */
import type { ProducerSigningKey } from "../trust/producer-key.ts";
import type { TrustPolicy } from "../trust/signature-file.ts";
import type { CommandInput, OptionSpec } from "./command-spec.ts";
import type { CliContext } from "./context.ts";
import { stringOption } from "./parse-command-line.ts";

export const SIGNING_KEY_OPTION: OptionSpec = {
  type: "string",
  value: "FILE",
  help: "sign what is published with this producer key (PATH.key from keygen; default: NEFF_CACHE_SIGNING_KEY)",
};
export const TRUST_OPTION: OptionSpec = {
  type: "string",
  multiple: true,
  value: "FILE.pub",
  help: "use only entries and records signed by this key (a .pub file or a fingerprint; repeatable; also NEFF_CACHE_TRUST)",
};
export const REVOKE_OPTION: OptionSpec = {
  type: "string",
  multiple: true,
  value: "FP",
  help: "refuse this key even where it is trusted (fingerprint or .pub file; repeatable; also NEFF_CACHE_REVOKED)",
};

/** Options of reading commands. */
export const TRUST_OPTIONS = { trust: TRUST_OPTION, revoke: REVOKE_OPTION } as const;

/** The trust policy of a reading command, or null when it trusts every verified entry. */
export async function cliTrustPolicy(input: CommandInput, context: CliContext): Promise<TrustPolicy | null> {
  const { loadTrustPolicy } = await import("../trust/load-trust.ts");
  return loadTrustPolicy({
    trust: listOption(input, "trust"),
    revoke: listOption(input, "revoke"),
    env: context.env,
    cwd: context.cwd,
  });
}

/** The signing key of a publishing command, or null when it publishes unsigned. */
export async function cliSigningKey(
  input: CommandInput,
  context: CliContext,
): Promise<ProducerSigningKey | null> {
  const { loadSigningKey } = await import("../trust/load-trust.ts");
  return loadSigningKey(stringOption(input, "signing-key"), context.env, context.cwd);
}

// --- internal ---

function listOption(input: CommandInput, name: string): string[] {
  const value = input.values[name];
  return Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
}
