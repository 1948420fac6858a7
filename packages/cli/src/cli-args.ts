/**
 * Flag parsing shared by `ssb run` and the `ssb curate / distill / eval` subcommands. node:util parseArgs keeps
 * the last of a repeated flag (`--seed 1 --seed 2` runs with seed 2); with `tokens: true` it lists every flag as
 * given, which shows the repeat.
 */
import type { ParseArgsConfig } from "node:util";
import { parseCommandLine, refuseRepeatedOptions, UsageError } from "@ssb/cli-kit";

export type CliOptions = NonNullable<ParseArgsConfig["options"]>;

// The usage error, the parse wrapper and the repeat check every ssb CLI shares.
export { parseCommandLine, refuseRepeatedOptions, UsageError };

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
