/**
 * Flag parsing shared by `ssb run` and the `ssb curate / distill / eval` subcommands. node:util parseArgs keeps
 * the last of a repeated flag (`--seed 1 --seed 2` runs with seed 2); with `tokens: true` it lists every flag as
 * given, which shows the repeat.
 */
import type { ParseArgsConfig } from "node:util";
import { type ArgToken, explainParseError, repeatedOptionMessage } from "@ssb/cli-kit";

export type CliOptions = NonNullable<ParseArgsConfig["options"]>;

/** A usage mistake: main prints it with the usage hint and exits 2. */
export class UsageError extends Error {}

/**
 * Runs `parse` (a node:util parseArgs call over `args` with `options`) and words its errors as one-line usage
 * errors: `unknown option --form (did you mean --from?)`, not Node's advice about positionals starting with "-".
 */
export function parseCommandLine<T>(parse: () => T, options: CliOptions, args: readonly string[]): T {
  try {
    return parse();
  } catch (error) {
    const message = explainParseError(error, options, args);
    if (message === null) throw error;
    throw new UsageError(message);
  }
}

/** Refuse a flag that takes a value and is given twice, naming it and both values. */
export function refuseRepeatedOptions(tokens: readonly ArgToken[], options: CliOptions): void {
  const repeated = repeatedOptionMessage(tokens, options);
  if (repeated !== null) throw new UsageError(repeated);
}

/** A numeric flag's value: a decimal number as written ("" or " " is not 0, "0x10" is not 16). */
export function numberFlag(values: Record<string, unknown>, name: string): number | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  const decimal = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;
  const n = Number(v);
  if (typeof v !== "string" || !decimal.test(v) || !Number.isFinite(n))
    throw new UsageError(`--${name}: expected a number, got "${String(v)}"`);
  return n;
}
