/**
 * Command-line flags for the trainers' CLIs (ssb-distill, ssb-grpo): node:util's parseArgs, which keeps the
 * last of a repeated flag silently (`--out a --out b` trains into b), with repeats of single-value flags
 * refused by name.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { repeatedOptionMessage } from "@ssb/cli-kit";

export type FlagOptions = NonNullable<ParseArgsConfig["options"]>;

/** What parseFlags hands parseArgs (exported so that the bundled declarations keep it). */
export type FlagsConfig<O extends FlagOptions> = {
  args: string[];
  options: O;
  strict: true;
  allowPositionals: false;
  tokens: true;
};

/** The parsed flags' values, typed from the options as parseArgs types them. */
export type FlagValues<O extends FlagOptions> = ReturnType<typeof parseArgs<FlagsConfig<O>>>["values"];

/**
 * parseArgs over `args` (strict, no positionals): the flags' values. A flag that takes one value (a string
 * option without `multiple`) given twice is an error naming it.
 */
export function parseFlags<const O extends FlagOptions>(args: string[], options: O): FlagValues<O> {
  const config: FlagsConfig<O> = { args, options, strict: true, allowPositionals: false, tokens: true };
  const parsed = parseArgs(config);
  const repeated = repeatedOptionMessage(parsed.tokens, options);
  if (repeated !== null) throw new Error(repeated);
  return parsed.values;
}
