/**
 * node:util parseArgs keeps the last of a repeated option, so `--seed 1 --seed 2` would silently run with seed
 * 2. With `tokens: true` it lists every option as given, which shows the repeat.
 */
import type { ParseArgsConfig } from "node:util";
import { type ArgToken, repeatedOptionMessage } from "@ssb/cli-kit";

export type CliOptions = NonNullable<ParseArgsConfig["options"]>;

/** Refuse an option that takes a value and is given twice, naming it and both values. */
export function refuseRepeatedOptions(tokens: readonly ArgToken[], options: CliOptions): void {
  const repeated = repeatedOptionMessage(tokens, options);
  if (repeated !== null) throw new Error(repeated);
}
