/**
 * The command line as ssb-eval reads it. A usage error (an unknown, repeated or missing flag, a bad value) is a
 * UsageError, which the CLI prints as one line and a pointer to --help, with exit code 2 as ssb and ssb-curate
 * do; any other failure exits 1.
 *
 * node:util parseArgs keeps the last of a repeated option, so `--seed 1 --seed 2` would silently run with seed
 * 2. With `tokens: true` it lists every option as given, which shows the repeat.
 */
import type { ParseArgsConfig } from "node:util";
import { type ArgToken, explainParseError, repeatedOptionMessage } from "@ssb/cli-kit";

export type CliOptions = NonNullable<ParseArgsConfig["options"]>;

/** A mistake in the command line itself (exit code 2), as opposed to a failure of the run (exit code 1). */
export class UsageError extends Error {}

/**
 * `parse()` (a parseArgs call over `args` with `options`), its errors said as one line with a did-you-mean for a
 * misspelled flag (`unknown option --sed (did you mean --seed?)`) and thrown as UsageError.
 */
export function parseCommandLine<T>(options: CliOptions, args: readonly string[], parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    const message = explainParseError(error, options, args);
    if (message === null) throw error;
    throw new UsageError(message);
  }
}

/** Refuse an option that takes a value and is given twice, naming it and both values. */
export function refuseRepeatedOptions(tokens: readonly ArgToken[], options: CliOptions): void {
  const repeated = repeatedOptionMessage(tokens, options);
  if (repeated !== null) throw new UsageError(repeated);
}
