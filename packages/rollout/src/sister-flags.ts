/**
 * Flags of ssb-eval that ssb-rollout spells otherwise (or does not take). A user moving between the two wrote
 * `--system-prompt`, got "unknown option --system-prompt" with no suggestion (the names are too far apart for
 * the spelling check), and had to read the whole help to find `--system`.
 */
import { withSisterFlags as withFlags } from "@ssb/cli-kit";

/** ssb-eval's flag -> what ssb-rollout takes instead. */
const SISTER_FLAGS: Readonly<Record<string, string>> = {
  "system-prompt": "--system TEXT",
  "no-system-prompt": "--no-system",
  "system-prompt-file": '--system "$(cat FILE)"',
  "execution-provider": "--ep",
  benchmarks: "--problems FILE (a JSONL of {id, question})",
};

/** Runs `parse`; an unknown option that is ssb-eval's name for one of ours is told ours. */
export const withSisterFlags = <T>(parse: () => T): T => withFlags(parse, "ssb-eval", SISTER_FLAGS);
