/**
 * node:util parseArgs' errors, said the way a person fixes them: `Unknown option '--temprature'` becomes
 * `unknown option --temprature (did you mean --temperature?)`, and a negative number, which parseArgs reads as
 * another option (`--seed -1` is "ambiguous"), says to write `--seed=-1`.
 */
import { closestKey } from "./closest-key.js";

/** Node's error codes for a command line parseArgs refuses. */
const PARSE_ERROR = /^ERR_PARSE_ARGS_/;

/**
 * The one-line message for a parseArgs error, or null when `error` is not one (rethrow it). `options` are the
 * options parseArgs was given (for suggestions); `args` the command line (for the value of an ambiguous flag).
 */
export function explainParseError(
  error: unknown,
  options: Readonly<Record<string, unknown>>,
  args: readonly string[] = [],
): string | null {
  if (!(error instanceof Error) || !("code" in error) || !PARSE_ERROR.test(String(error.code))) return null;
  const message = error.message;
  const unknown = /^Unknown option '(-{1,2})([^']*)'/.exec(message);
  if (unknown) {
    const [, dashes, name] = unknown as unknown as [string, string, string];
    const near = dashes === "--" ? closestKey(name, Object.keys(options)) : undefined;
    return `unknown option ${dashes}${name}${near ? ` (did you mean --${near}?)` : ""}`;
  }
  const ambiguous = /^Option '--([^' ]+)' argument is ambiguous/.exec(message);
  if (ambiguous) {
    const name = ambiguous[1] as string;
    const at = args.indexOf(`--${name}`);
    const value = at >= 0 ? args[at + 1] : undefined;
    return value !== undefined
      ? `--${name} ${value}: a value that starts with "-" is written --${name}=${value}`
      : `--${name}: a value that starts with "-" is written --${name}=VALUE`;
  }
  const missing = /^Option '--([^' ]+) <value>' argument missing/.exec(message);
  if (missing) return `--${missing[1]} needs a value`;
  const noValue = /^Option '--([^' ]+)' does not take an argument/.exec(message);
  if (noValue) return `--${noValue[1]} is a switch and takes no value`;
  const positional = /^Unexpected argument '([^']*)'/.exec(message);
  if (positional) return `unexpected argument "${positional[1]}": this command takes only --options`;
  return message.split("\n")[0] ?? message;
}
