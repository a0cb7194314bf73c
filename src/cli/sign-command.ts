import { EXIT_CODES } from "../errors.ts";
import type { SignResult } from "../ops/sign.ts";
import { BUCKET_OPTION, COMPILER_VERSION_OPTION, TASK_OPTION, openCliStore } from "./cache-target.ts";
import type { CommandSpec } from "./command-spec.ts";
import { stringOption } from "./parse-command-line.ts";
import { partialResult } from "./partial-result.ts";
import { SIGNING_KEY_OPTION, cliSigningKey } from "./trust-options.ts";

/** `neff-cache sign --bucket B --signing-key FILE [MODEL_ID]`: promote a store's verified entries. */
export const SIGN_COMMAND: CommandSpec = {
  name: "sign",
  summary:
    "sign a store's entries and export records in place, after checking every byte against its manifest",
  args: "[MODEL_ID]",
  minPositionals: 0,
  maxPositionals: 1,
  options: {
    bucket: BUCKET_OPTION,
    "signing-key": SIGNING_KEY_OPTION,
    task: TASK_OPTION,
    "compiler-version": {
      ...COMPILER_VERSION_OPTION,
      help: "only this compiler version (default: every one in the store)",
    },
  },
  async run(input, context) {
    const signingKey = await cliSigningKey(input, context);
    if (signingKey === null) {
      const { UsageError } = await import("../errors.ts");
      throw new UsageError("neff-cache sign needs a signing key.", {
        hint: "Pass --signing-key PATH.key (from neff-cache keygen), or set NEFF_CACHE_SIGNING_KEY.",
      });
    }
    const [{ sign }, { renderSign }] = await Promise.all([
      import("../ops/sign.ts"),
      import("./render/sign.ts"),
    ]);
    const store = await openCliStore(input, context);
    try {
      const result = await sign({
        store,
        signingKey,
        modelId: input.positionals[0],
        task: stringOption(input, "task"),
        compilerVersion: stringOption(input, "compiler-version"),
        signal: context.signal,
      }).catch(partialResult<SignResult>);
      return {
        data: result,
        exitCode: result.failed.length > 0 || result.refused.length > 0 ? EXIT_CODES.partial : EXIT_CODES.ok,
        human: () => renderSign(result),
      };
    } finally {
      await store.close();
    }
  },
};
