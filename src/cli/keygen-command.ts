import type { CommandSpec } from "./command-spec.ts";
import { stringOption } from "./parse-command-line.ts";

/** `neff-cache keygen --out PATH`: a producer key pair, PATH.key (private) and PATH.pub. */
export const KEYGEN_COMMAND: CommandSpec = {
  name: "keygen",
  summary: "make a producer key pair for signed publishing (PATH.key, private, and PATH.pub)",
  args: "",
  minPositionals: 0,
  maxPositionals: 0,
  options: {
    out: {
      type: "string",
      value: "PATH",
      help: "writes PATH.key (mode 0600) and PATH.pub; never replaces a file",
    },
  },
  async run(input, context) {
    const [{ keygen }, { UsageError }, path] = await Promise.all([
      import("../ops/keygen.ts"),
      import("../errors.ts"),
      import("node:path"),
    ]);
    const out = stringOption(input, "out");
    if (out === undefined) {
      throw new UsageError("neff-cache keygen needs --out PATH.", {
        hint: "Usage: neff-cache keygen --out ./ci-producer (writes ci-producer.key and ci-producer.pub)",
      });
    }
    const result = await keygen({ out: path.resolve(context.cwd, out) });
    return {
      data: result,
      human: () =>
        [
          `Key ${result.fingerprint}`,
          `  private: ${result.privateKeyFile} (sign with --signing-key; keep it secret)`,
          `  public:  ${result.publicKeyFile} (consumers pass it to --trust)`,
        ].join("\n"),
    };
  },
};
