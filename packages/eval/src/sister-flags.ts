/**
 * Flags of ssb-rollout that ssb-eval spells otherwise (or does not take). A user moving between the two wrote
 * `--system`, got "unknown option --system" with no suggestion (the names are too far apart for the spelling
 * check), and had to read the whole help to find `--system-prompt`.
 */
import { withSisterFlags as withFlags } from "@ssb/cli-kit";

/** ssb-rollout's flag -> what ssb-eval takes instead. */
const SISTER_FLAGS: Readonly<Record<string, string>> = {
  system: "--system-prompt TEXT",
  "no-system": "--no-system-prompt",
  problems: "--benchmarks (gsm8k, math500, aime24), or --benchmark-config SPEC for another JSONL file",
};

/** Runs `parse`; an unknown option that is ssb-rollout's name for one of ours is told ours. */
export const withSisterFlags = <T>(parse: () => T): T => withFlags(parse, "ssb-rollout", SISTER_FLAGS);
