import { existsSync, statSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { parseArgs } from "node:util";
import {
  checkPath,
  parseCommandLine,
  printVersion,
  refuseRepeatedOptions,
  reportCliError,
  stopOnSignals,
  UsageError,
} from "@ssb/cli-kit";
import { type GradedOutput, openInput, openOutputFile, standardOutput } from "./cli-io.js";
import { encodingRefusal, prettyJsonRefusal } from "./input-encoding.js";
import { type GradeLineOptions, gradeJsonLine } from "./jsonl-grading.js";
import { createErrorDigest } from "./repeated-errors.js";
import {
  ALL_EXTRACTION_RULES,
  DEFAULT_EXTRACTION_RULES,
  type ExtractionRule,
  type Verdict,
} from "./types.js";

/** A --budget-ms value: a decimal number, or Infinity (no time limit, as the API's budgetMs takes). */
const BUDGET = /^[+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|Infinity)$/;

const HELP = `ssb-verify: grade model responses against gold answers (JSONL in, JSONL out)

Usage: ssb-verify [FILE] [options]      (no FILE, or "-": read standard input)

Each input line is a JSON object with a response and a gold answer; each output line is that object with
"correct", "verdict", "extracted", "rule" and "reason" added. A summary goes to standard error.

Options:
  --response-field NAME   field holding the response (default: response)
  --gold-field NAME       field holding the gold answer (default: gold)
  --last-number           fall back to the last number when no other rule finds an answer
  --rules LIST            comma-separated extraction rules, in order (${ALL_EXTRACTION_RULES.join(",")})
  --budget-ms N           time budget per comparison in ms of CPU time (default: 50; Infinity: no limit)
  --output FILE, -o FILE  write graded lines to FILE instead of standard output
  --strict                stop at the first malformed line (exit code 1); default: skip and count them
  --help, -h              show this help

Exit codes: 0 at least one line graded; 1 nothing graded (an empty input, or every line malformed) or
--strict stopped at a malformed line; 2 a usage error or an input/output that cannot be opened.
`;

interface Summary {
  lines: number;
  graded: number;
  malformed: number;
  verdicts: Record<Verdict, number>;
}

function parseRules(value: string | undefined, lastNumber: boolean): ExtractionRule[] {
  const rules = value === undefined ? [...DEFAULT_EXTRACTION_RULES] : value.split(",").map((r) => r.trim());
  for (const r of rules) {
    if (!(ALL_EXTRACTION_RULES as readonly string[]).includes(r)) {
      throw new UsageError(`--rules: unknown rule "${r}" (known: ${ALL_EXTRACTION_RULES.join(", ")})`);
    }
  }
  if (lastNumber && !rules.includes("last-number")) rules.push("last-number");
  return rules as ExtractionRule[];
}

/**
 * Grades every line into `output`; null when --strict stopped at a malformed line. A problem many lines share
 * (every line lacks the gold field) is printed for the first few lines and then counted, at the end.
 */
async function gradeLines(
  input: Readable,
  source: string,
  output: GradedOutput,
  options: GradeLineOptions,
  strict: boolean,
  signal: AbortSignal,
): Promise<Summary | null> {
  const summary: Summary = {
    lines: 0,
    graded: 0,
    malformed: 0,
    verdicts: { correct: 0, wrong: 0, "no-answer": 0 },
  };
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const errors = createErrorDigest((text) => process.stderr.write(`ssb-verify: ${text}\n`), source);
  // A signal ends the loop even while it waits for input (a slow producer on a pipe).
  const onStop = (): void => {
    lines.close();
    input.destroy();
  };
  signal.addEventListener("abort", onStop, { once: true });
  let lineNumber = 0;
  try {
    for await (let line of lines) {
      if (signal.aborted) break;
      lineNumber++;
      // A byte-order mark (files saved by some Windows editors) is not part of the record; files joined with
      // cat or `type a b > c` carry one at each join, so any line may start with one.
      if (line.startsWith("\uFEFF")) line = line.slice(1);
      // A UTF-16 file (PowerShell's ">") or a pretty-printed JSON document is refused as a whole, saying what it
      // is, not line by line.
      const refusal =
        lineNumber === 1 ? (encodingRefusal(line, source) ?? prettyJsonRefusal(line, source)) : null;
      if (refusal !== null) throw new Error(refusal);
      if (line.trim().length === 0) continue;
      summary.lines++;
      const graded = gradeJsonLine(line, lineNumber, source, options);
      if (!graded.ok) {
        summary.malformed++;
        errors.report(graded.error, graded.problem);
        if (strict) {
          lines.close();
          return null;
        }
        continue;
      }
      summary.graded++;
      summary.verdicts[graded.result.verdict]++;
      await output.write(`${graded.text}\n`);
    }
  } finally {
    signal.removeEventListener("abort", onStop);
    errors.finish();
  }
  return summary;
}

const OPTIONS = {
  "response-field": { type: "string" },
  "gold-field": { type: "string" },
  "last-number": { type: "boolean", default: false },
  rules: { type: "string" },
  "budget-ms": { type: "string" },
  output: { type: "string", short: "o" },
  strict: { type: "boolean", default: false },
  help: { type: "boolean", short: "h", default: false },
} as const;

/**
 * The one-line reason a run graded nothing, or null when it graded something. A run that graded nothing has
 * no accuracy to report: exiting 0 with "0 graded" would let a script take an empty or wrongly-shaped input
 * (every line skipped) for a result.
 */
function nothingGraded(summary: Summary, source: string): string | null {
  if (summary.graded > 0) return null;
  if (summary.lines === 0) return `${source} is empty (no non-blank lines): nothing was graded`;
  const which = summary.lines === 1 ? "its only line is" : `all ${summary.lines} lines are`;
  return `nothing was graded: ${which} malformed in ${source} (see above)`;
}

export async function main(argv: string[]): Promise<number> {
  // parseArgs' refusals said the way a person fixes them (for a misspelled flag Node adds a hint about
  // positionals that start with "-", which only confuses), and a repeated flag refused: UsageErrors, exit 2.
  const { values, positionals, tokens } = parseCommandLine(
    () => parseArgs({ args: argv, allowPositionals: true, options: OPTIONS, tokens: true }),
    OPTIONS,
    argv,
  );
  refuseRepeatedOptions(tokens, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length > 1)
    throw new UsageError(`expected at most one input file, got ${positionals.length}`);
  const budgetMs = values["budget-ms"] === undefined ? 50 : Number(values["budget-ms"]);
  // Written as a decimal number or Infinity: Number() would also read "" as 0 and "0x10" as 16. A value too
  // small for a double (1e-400) reads as 0 and is refused; one too large (1e400) is Infinity, no limit.
  const written = values["budget-ms"] === undefined || BUDGET.test(values["budget-ms"]);
  if (!written || !(budgetMs > 0))
    throw new UsageError(
      `--budget-ms: expected a positive number of milliseconds or Infinity, got "${values["budget-ms"]}"`,
    );
  const rules = parseRules(values.rules, values["last-number"] ?? false);

  const file = positionals[0];
  const source = file === undefined || file === "-" ? "<stdin>" : checkPath(file, "file");
  // Replacing the input with its graded lines would lose the original.
  if (values.output && source !== "<stdin>" && sameFile(source, values.output))
    throw new UsageError(
      `--output ${values.output} is the input file; write the graded lines to another file`,
    );
  const options: GradeLineOptions = {
    responseField: values["response-field"],
    goldField: values["gold-field"],
    rules,
    budgetMs,
  };
  // Ctrl-C or SIGTERM stops at the next line, drops the temporary output file and says so (Node's default
  // exit left the file beside the output, with no word).
  let stoppedBy: NodeJS.Signals | undefined;
  const stop = stopOnSignals((name) => {
    stoppedBy = name;
  });
  let summary: Summary | null;
  let earlierOutput = false;
  // A signal handled after the output was renamed into place stops nothing: the run is complete.
  let committed = false;
  try {
    const input = await openInput(source);
    earlierOutput = values.output !== undefined && existsSync(values.output);
    const output = values.output ? await openOutputFile(values.output) : standardOutput();
    try {
      summary = await gradeLines(input, source, output, options, values.strict ?? false, stop.signal);
      // An earlier --output file is replaced only by a run that graded something and was not stopped (a
      // Ctrl-C also ends the producer of a pipe, so the input may look complete).
      if (stoppedBy !== undefined || summary === null || nothingGraded(summary, source) !== null)
        output.discard();
      else committed = await output.commit(stop.signal);
    } catch (error) {
      output.discard();
      throw error;
    }
  } finally {
    stop.dispose();
  }
  if (stoppedBy !== undefined && !committed) {
    const graded =
      summary === null ? "" : ` after ${summary.graded} graded line${summary.graded === 1 ? "" : "s"}`;
    const where = values.output
      ? `nothing was written to ${values.output}${earlierOutput ? ` (the earlier ${values.output} is kept)` : ""}`
      : "the lines graded so far are on standard output";
    process.stderr.write(`ssb-verify: stopped by ${stoppedBy}${graded}: ${where}\n`);
    return stoppedBy === "SIGTERM" ? 143 : 130;
  }
  if (summary === null) {
    if (values.output)
      process.stderr.write(`ssb-verify: --strict: --output ${values.output} was not written\n`);
    return 1;
  }
  const nothing = nothingGraded(summary, source);
  if (nothing !== null) {
    const kept = values.output ? `; --output ${values.output} was not written` : "";
    process.stderr.write(`ssb-verify: ${nothing}${kept}\n`);
    return 1;
  }
  const accuracy = summary.verdicts.correct / summary.graded;
  process.stderr.write(
    `ssb-verify: ${summary.graded} graded, ${summary.verdicts.correct} correct, ${summary.verdicts.wrong} wrong, ` +
      `${summary.verdicts["no-answer"]} no answer, ${summary.malformed} malformed skipped; ` +
      `accuracy ${(accuracy * 100).toFixed(2)}%\n`,
  );
  return 0;
}

const args = process.argv.slice(2);
if (printVersion(args, import.meta.url)) process.exit(0);
main(args).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A mistake in the command line (a flag, a path) exits 2 with a pointer to --help; a failure of the work 1.
    process.exitCode = reportCliError("ssb-verify", error);
  },
);

/** Whether two paths name one file (the same inode: also through links and relative paths). */
function sameFile(a: string, b: string): boolean {
  if (!existsSync(a) || !existsSync(b)) return false;
  const [x, y] = [statSync(a), statSync(b)];
  return x.dev === y.dev && x.ino === y.ino;
}
