import type { Env } from "./context.ts";

/** Variables whose values are secrets wherever they appear. */
const SECRET_VARIABLES = [
  "HF_TOKEN",
  "HUGGING_FACE_HUB_TOKEN",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_ACCESS_KEY_ID",
] as const;

// Shapes of secrets that may arrive from files or servers rather than the environment.
const SECRET_PATTERNS: readonly RegExp[] = [
  /\bhf_[A-Za-z0-9]{8,}\b/g,
  /\b(?:Bearer|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /(X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature)=[^&\s"']+/gi,
];

/** A function that removes every known secret from a string. */
export type Redactor = (text: string) => string;

/** Builds a redactor for the secrets of this environment plus well-known secret shapes. */
export function createRedactor(env: Env, extraSecrets: readonly string[] = []): Redactor {
  const secrets = [...SECRET_VARIABLES.map((name) => env[name]), ...extraSecrets]
    .filter((value): value is string => typeof value === "string" && value.length >= 4)
    .sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const secret of secrets) out = out.split(secret).join("***");
    for (const pattern of SECRET_PATTERNS) {
      out = out.replace(pattern, (match, name?: string) =>
        typeof name === "string" && match.includes("=") ? `${name}=***` : match.replace(/\S+$/, "***"),
      );
    }
    return out;
  };
}
