/**
 * Command-line flags for the trainers' CLIs (ssb-distill, ssb-grpo): node:util's parseArgs, which keeps the
 * last of a repeated flag silently (`--out a --out b` trains into b), with repeats of single-value flags
 * refused by name, and its errors said as @ssb/cli-kit says them (`unknown option --stpes (did you mean
 * --steps?)`). A command line that is wrong is a UsageError: one line and where the options are, exit 2.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { closestKey, parseCommandLine, refuseRepeatedOptions, UsageError } from "@ssb/cli-kit";
import { BACKEND_PREFERENCES, type BackendPreference } from "./backend.js";

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

// A command line that is wrong is @ssb/cli-kit's UsageError, reported by its reportCliError (exit 2).
export { type ErrorStream, reportCliError, UsageError } from "@ssb/cli-kit";

/**
 * parseArgs over `args` (strict, no positionals): the flags' values. A flag that takes one value (a string
 * option without `multiple`) given twice is an error naming it. Both throw a UsageError. `settings` are the
 * config fields `--set` takes: an unknown option naming one (`--steps 40`, `--stpes`) is pointed to
 * `--set steps=VALUE` rather than left without a suggestion.
 */
export function parseFlags<const O extends FlagOptions>(
  args: string[],
  options: O,
  settings: readonly string[] = [],
): FlagValues<O> {
  const config: FlagsConfig<O> = { args, options, strict: true, allowPositionals: false, tokens: true };
  let parsed: ReturnType<typeof parseArgs<FlagsConfig<O>>>;
  try {
    parsed = parseCommandLine(() => parseArgs(config), options, args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const hint = settingHint(error.message, settings);
    throw hint === null ? error : new UsageError(hint);
  }
  refuseRepeatedOptions(parsed.tokens, options);
  return parsed.values;
}

/**
 * `unknown option --steps (a setting: --set steps=VALUE)` for an unknown option that is, or is close to, a
 * config field; null when it is not or a flag is suggested already (a flag is the closer fix).
 */
function settingHint(message: string, settings: readonly string[]): string | null {
  const unknown = /^unknown option --([^ ]+)( \(did you mean)?/.exec(message);
  if (!unknown || settings.length === 0) return null;
  const name = unknown[1] as string;
  const field = settings.includes(name) ? name : unknown[2] ? undefined : closestKey(name, settings);
  return field === undefined ? null : `unknown option --${name} (a setting: --set ${field}=VALUE)`;
}

/** --backend's value, checked against the names selectBackend knows (a UsageError otherwise). */
export function backendFlag(value: string): BackendPreference {
  const known: readonly string[] = BACKEND_PREFERENCES;
  if (!known.includes(value))
    throw new UsageError(`--backend must be one of ${BACKEND_PREFERENCES.join(", ")}, found "${value}"`);
  return value as BackendPreference;
}
