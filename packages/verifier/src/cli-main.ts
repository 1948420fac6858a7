/**
 * ssb-verify's command line as a function: `runCli(argv, io, program)` grades a JSONL file (or standard input,
 * or one response given with --response / --gold) and returns the exit code. The `ssb-verify` executable
 * (cli.ts) and `ssb verify` (@ssb/cli) both run it, so the two commands cannot drift apart.
 */
import { existsSync, statSync } from "node:fs";
import type { Readable, Writable } from "node:stream";
import { parseArgs } from "node:util";
import { checkPath, parseCommandLine, refuseRepeatedOptions, stopOnSignals, UsageError } from "@ssb/cli-kit";
import { splitLines } from "@ssb/durable-files";
import { type GradedOutput, openInput, openOutputFile, standardOutput } from "./cli-io.js";
import { encodingRefusal, prettyJsonRefusal } from "./input-encoding.js";
import { type GradeLineOptions, gradeJsonLine } from "./jsonl-grading.js";
import { ruleGuess } from "./options-check.js";
import { createErrorDigest } from "./repeated-errors.js";
import {
  ALL_EXTRACTION_RULES,
  DEFAULT_EXTRACTION_RULES,
  type ExtractionRule,
  type Verdict,
} from "./types.js";

/** A --budget-ms value: a decimal number, or Infinity (no time limit, as the API's budgetMs takes). */
const BUDGET = /^[+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|Infinity)$/;

/** The help text, naming the command as it was typed (`ssb-verify`, or `ssb verify`). */
export function verifyHelp(program = "ssb-verify"): string {
  return `${program}: grade model responses against gold answers (JSONL in, JSONL out)

Usage: ${program} [FILE] [options]      (no FILE, or "-": read standard input)
       ${program} --response TEXT --gold ANSWER

Each input line is a JSON object with a response and a gold answer; each output line is that object with
"correct", "verdict", "extracted", "rule" and "reason" added. A summary goes to standard error.
Only the text after a reasoning model's last </think> is searched. When that text holds <answer>...</answer>
(R1-Zero, open-r1), only the last such block is: a box or "the answer is" inside it, else its whole text (rule
answer-tag); a last <answer> never closed (a stop string removed </answer>) runs to the end of the text.

Options:
  --response-field NAME   field holding the response (default: response)
  --gold-field NAME       field holding the gold answer (default: gold)
  --last-number           fall back to the last number when no other rule finds an answer
  --rules LIST            comma-separated extraction rules, in order (default:
                          ${DEFAULT_EXTRACTION_RULES.join(",")}; also: ${ALL_EXTRACTION_RULES.filter((r) => !DEFAULT_EXTRACTION_RULES.includes(r)).join(",")})
  --budget-ms N           time budget per comparison in ms of CPU time (default: 50; Infinity: no limit)
  --output FILE, -o FILE  write graded lines to FILE instead of standard output
  --strict                stop at the first malformed line (exit code 1); default: skip and count them
  --response TEXT         grade this one response (with --gold) and print its graded line
  --gold ANSWER           the gold answer of --response
  --help, -h              show this help
  --version               print the version

Exit codes: 0 at least one line graded (with --response: the response is correct); 1 nothing graded (an empty
input, or every line malformed), --strict stopped at a malformed line, or --response is not correct; 2 a usage
error or an input/output that cannot be opened.
`;
}

/** Where the command reads and writes: the process's streams, or a caller's (tests, another CLI). */
export interface VerifyCliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: { write(text: string): unknown };
}

const processIo = (): VerifyCliIo => ({
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
});

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
      throw new UsageError(
        `--rules: unknown rule "${r}"${ruleGuess(r)} (known: ${ALL_EXTRACTION_RULES.join(", ")})`,
      );
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
  say: (text: string) => void,
): Promise<Summary | null> {
  const summary: Summary = {
    lines: 0,
    graded: 0,
    malformed: 0,
    verdicts: { correct: 0, wrong: 0, "no-answer": 0 },
  };
  const lines = splitLines(input, source);
  const errors = createErrorDigest(say, source);
  // A signal ends the loop even while it waits for input (a slow producer on a pipe): destroying the input
  // ends the wait with the stream's premature-close error, caught below.
  const onStop = (): void => {
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
        if (strict) return null;
        continue;
      }
      summary.graded++;
      summary.verdicts[graded.result.verdict]++;
      await output.write(`${graded.text}\n`);
    }
  } catch (error) {
    if (!(signal.aborted && (error as NodeJS.ErrnoException).code === "ERR_STREAM_PREMATURE_CLOSE"))
      throw error;
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
  response: { type: "string" },
  gold: { type: "string" },
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

/**
 * Runs the command on `argv` (without the program name) and returns its exit code. Usage mistakes throw
 * cli-kit's UsageError (exit 2 by reportCliError); an input that cannot be read throws an Error (exit 1).
 */
export async function runCli(
  argv: string[],
  io: VerifyCliIo = processIo(),
  program = "ssb-verify",
): Promise<number> {
  const say = (text: string): void => void io.stderr.write(`${program}: ${text}\n`);
  // parseArgs' refusals said the way a person fixes them (for a misspelled flag Node adds a hint about
  // positionals that start with "-", which only confuses), and a repeated flag refused: UsageErrors, exit 2.
  const { values, positionals, tokens } = parseCommandLine(
    () => parseArgs({ args: argv, allowPositionals: true, options: OPTIONS, tokens: true }),
    OPTIONS,
    argv,
  );
  refuseRepeatedOptions(tokens, OPTIONS);
  if (values.help) {
    io.stdout.write(verifyHelp(program));
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
  if (values.response !== undefined || values.gold !== undefined)
    return gradeOne(values.response, values.gold, positionals.length > 0 || values.output !== undefined, {
      rules,
      budgetMs,
    });

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
    const input = await openInput(source, io.stdin);
    earlierOutput = values.output !== undefined && existsSync(values.output);
    const output = values.output ? await openOutputFile(values.output) : standardOutput(io.stdout);
    try {
      summary = await gradeLines(input, source, output, options, values.strict ?? false, stop.signal, say);
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
    say(`stopped by ${stoppedBy}${graded}: ${where}`);
    return stoppedBy === "SIGTERM" ? 143 : 130;
  }
  if (summary === null) {
    if (values.output) say(`--strict: --output ${values.output} was not written`);
    return 1;
  }
  const nothing = nothingGraded(summary, source);
  if (nothing !== null) {
    const kept = values.output ? `; --output ${values.output} was not written` : "";
    say(`${nothing}${kept}`);
    return 1;
  }
  const accuracy = summary.verdicts.correct / summary.graded;
  say(
    `${summary.graded} graded, ${summary.verdicts.correct} correct, ${summary.verdicts.wrong} wrong, ` +
      `${summary.verdicts["no-answer"]} no answer, ${summary.malformed} malformed skipped; ` +
      `accuracy ${(accuracy * 100).toFixed(2)}%`,
  );
  return 0;

  /** --response / --gold: one graded line on stdout; exit 0 when the response is correct, 1 when not. */
  function gradeOne(
    response: string | undefined,
    gold: string | undefined,
    withFile: boolean,
    options: GradeLineOptions,
  ): number {
    if (gold === undefined) throw new UsageError("--response needs --gold, the answer to grade it against");
    if (withFile)
      throw new UsageError("--response grades one response: give no FILE and no --output with it");
    const line = JSON.stringify({ response: response ?? "", gold });
    const graded = gradeJsonLine(line, 1, "the command line", options);
    if (!graded.ok) throw new UsageError(graded.error);
    io.stdout.write(`${graded.text}\n`);
    return graded.result.correct ? 0 : 1;
  }
}

/** Whether two paths name one file (the same inode: also through links and relative paths). */
function sameFile(a: string, b: string): boolean {
  if (!existsSync(a) || !existsSync(b)) return false;
  const [x, y] = [statSync(a), statSync(b)];
  return x.dev === y.dev && x.ino === y.ino;
}
