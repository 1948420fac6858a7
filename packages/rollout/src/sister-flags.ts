/**
 * Flags of ssb-eval that ssb-rollout spells otherwise (or does not take). A user moving between the two wrote
 * `--system-prompt`, got "unknown option --system-prompt" with no suggestion (the names are too far apart for
 * the spelling check), and had to read the whole help to find `--system`.
 */
import { UsageError } from "@ssb/cli-kit";

/** ssb-eval's flag -> what ssb-rollout takes instead. */
const SISTER_FLAGS: Readonly<Record<string, string>> = {
  "system-prompt": "--system TEXT",
  "no-system-prompt": "--no-system",
  "system-prompt-file": '--system "$(cat FILE)"',
  "execution-provider": "--ep",
  benchmarks: "--problems FILE (a JSONL of {id, question})",
};

/** Runs `parse`; an unknown option that is ssb-eval's name for one of ours is told ours. */
export function withSisterFlags<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const unknown = error instanceof UsageError ? /^unknown option --([^\s=]+)$/.exec(error.message) : null;
    const ours = unknown ? SISTER_FLAGS[unknown[1] as string] : undefined;
    if (ours === undefined) throw error;
    throw new UsageError(`${(error as Error).message} (ssb-eval's flag; here it is ${ours})`);
  }
}
