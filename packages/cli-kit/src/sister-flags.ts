/**
 * Flags a sister command spells otherwise. A user moving between two CLIs (ssb-rollout's `--system`, ssb-eval's
 * `--system-prompt`) got "unknown option --system-prompt" with no suggestion: the names are too far apart for
 * the spelling check, and the whole help had to be read to find ours.
 */
import { UsageError } from "./command-line.js";

/**
 * Runs `parse`; an unknown option that is `sister`'s name for one of ours (a key of `flags`, without the
 * dashes) is told ours: `unknown option --system-prompt (ssb-eval's flag; here it is --system TEXT)`.
 */
export function withSisterFlags<T>(
  parse: () => T,
  sister: string,
  flags: Readonly<Record<string, string>>,
): T {
  try {
    return parse();
  } catch (error) {
    const unknown = error instanceof UsageError ? /^unknown option --([^\s=]+)$/.exec(error.message) : null;
    const ours = unknown ? flags[unknown[1] as string] : undefined;
    if (ours === undefined) throw error;
    throw new UsageError(`${(error as Error).message} (${sister}'s flag; here it is ${ours})`);
  }
}
