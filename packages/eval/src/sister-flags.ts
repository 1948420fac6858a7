/**
 * Flags of ssb-rollout that ssb-eval spells otherwise (or does not take). A user moving between the two wrote
 * `--system`, got "unknown option --system" with no suggestion (the names are too far apart for the spelling
 * check), and had to read the whole help to find `--system-prompt`.
 */
import { UsageError } from "./cli-args.js";

/** ssb-rollout's flag -> what ssb-eval takes instead. */
const SISTER_FLAGS: Readonly<Record<string, string>> = {
  system: "--system-prompt TEXT",
  "no-system": "--no-system-prompt",
  problems: "--benchmarks (gsm8k, math500, aime24), or --benchmark-config SPEC for another JSONL file",
};

/** Runs `parse`; an unknown option that is ssb-rollout's name for one of ours is told ours. */
export function withSisterFlags<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const unknown = error instanceof UsageError ? /^unknown option --([^\s=]+)$/.exec(error.message) : null;
    const ours = unknown ? SISTER_FLAGS[unknown[1] as string] : undefined;
    if (ours === undefined) throw error;
    throw new UsageError(`${(error as Error).message} (ssb-rollout's flag; here it is ${ours})`);
  }
}
