/**
 * Command-line flags for the trainers' CLIs (ssb-distill, ssb-grpo): node:util's parseArgs, which keeps the
 * last of a repeated flag silently (`--out a --out b` trains into b), with repeats of single-value flags
 * refused by name, and its errors said as @ssb/cli-kit says them (`unknown option --stpes (did you mean
 * --steps?)`). A command line that is wrong is a UsageError: one line and where the options are, exit 2.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { closestKey, explainParseError, repeatedOptionMessage } from "@ssb/cli-kit";
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

/**
 * The command line itself is wrong (an unknown, repeated or missing flag, a bad value, an unknown or missing
 * command): reported by reportCliError as one line and a pointer to --help, with exit code 2.
 */
export class UsageError extends Error {
  override name = "UsageError";
}

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
    parsed = parseArgs(config);
  } catch (error) {
    // node's own messages (`Unknown option '--stpes'. To specify a positional argument ...`) say less.
    const message = explainParseError(error, options, args);
    if (message === null) throw error;
    throw new UsageError(settingHint(message, settings) ?? message);
  }
  const repeated = repeatedOptionMessage(parsed.tokens, options);
  if (repeated !== null) throw new UsageError(repeated);
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

/** Where a stream for reportCliError writes. */
export interface ErrorStream {
  write(text: string): unknown;
}

/**
 * Reports the error that ended a CLI on `stream` and returns the exit code: a UsageError as
 * `program: message` and `Run "program --help" for the options.` (2; not the whole help, which scrolled the
 * error out of sight), any other error as `program: message` (1).
 */
export function reportCliError(
  program: string,
  error: unknown,
  stream: ErrorStream = process.stderr,
): number {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError) {
    stream.write(`${program}: ${message}\nRun "${program} --help" for the options.\n`);
    return 2;
  }
  stream.write(`${program}: ${message}\n`);
  return 1;
}
