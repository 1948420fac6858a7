/**
 * A command line read the way every ssb CLI reads it: node:util parseArgs, with its refusals said as one line
 * (`unknown option --form (did you mean --from?)`) and a repeated single-value flag refused, both thrown as
 * UsageError, which a CLI prints with a pointer to its --help and exit code 2 (any other failure exits 1).
 */
import { explainParseError } from "./parse-error.js";
import { type ArgToken, type OptionSpec, repeatedOptionMessage } from "./repeated-options.js";

/** A mistake in the command line itself (exit code 2), as opposed to a failure of the work (exit code 1). */
export class UsageError extends Error {
  override name = "UsageError";
}

/**
 * Runs `parse` (a parseArgs call over `args` with `options`) and turns its refusals into UsageError. Taking
 * the call rather than its config keeps parseArgs' own typing of the values at the call site.
 */
export function parseCommandLine<T>(
  parse: () => T,
  options: Readonly<Record<string, unknown>>,
  args: readonly string[],
): T {
  try {
    return parse();
  } catch (error) {
    const message = explainParseError(error, options, args);
    if (message === null) throw error;
    throw new UsageError(message);
  }
}

/** Refuses a flag that takes a value and is given twice (UsageError naming it and both values). */
export function refuseRepeatedOptions(
  tokens: readonly ArgToken[],
  options: Readonly<Record<string, OptionSpec>>,
): void {
  const repeated = repeatedOptionMessage(tokens, options);
  if (repeated !== null) throw new UsageError(repeated);
}

/** The line after a usage error: where the options are (not the whole help, which scrolled the error away). */
export function usageHint(program: string): string {
  return `Run "${program} --help" for the options.`;
}

/** Where reportCliError writes. */
export interface ErrorStream {
  write(text: string): unknown;
}

/**
 * Reports the error that ended a CLI on `stream` and returns the exit code: a UsageError as `program: message`
 * and {@link usageHint} (2), any other error as `program: message` (1).
 */
export function reportCliError(
  program: string,
  error: unknown,
  stream: ErrorStream = process.stderr,
): number {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError) {
    stream.write(`${program}: ${message}\n${usageHint(program)}\n`);
    return 2;
  }
  stream.write(`${program}: ${message}\n`);
  return 1;
}
