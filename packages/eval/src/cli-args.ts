/**
 * The command line as ssb-eval reads it. A usage error (an unknown, repeated or missing flag, a bad value) is a
 * UsageError, which the CLI prints as one line and a pointer to --help, with exit code 2 as ssb and ssb-curate
 * do; any other failure exits 1.
 *
 * node:util parseArgs keeps the last of a repeated option, so `--seed 1 --seed 2` would silently run with seed
 * 2. With `tokens: true` it lists every option as given, which shows the repeat.
 */
import type { ParseArgsConfig } from "node:util";

export type CliOptions = NonNullable<ParseArgsConfig["options"]>;

// The usage error, the parse wrapper and the repeat check every ssb CLI shares (@ssb/cli-kit).
export { parseCommandLine, refuseRepeatedOptions, UsageError } from "@ssb/cli-kit";
