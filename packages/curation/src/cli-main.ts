/**
 * `ssb-curate`: problems + rollouts in; teacher prompts, drops and (with teacher replies) pairs out.
 * Kept apart from cli.ts (the bin entry) so tests can call it in-process.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import {
  checkPath,
  createProgressBar,
  type ProgressBar,
  parseCommandLine,
  refuseRepeatedOptions,
  reportCliError,
  UsageError,
} from "@ssb/cli-kit";
import { stripBom } from "@ssb/durable-files";
import { readProblemsFile } from "./problems-file.js";
import { loadRepliesGenerator } from "./replies-file-generator.js";
import { readRolloutsFile } from "./rollouts-file.js";
import { type CurationConfig, type CurationRunResult, runCuration } from "./run-curation.js";
import type { RolloutChoice, TieBreak } from "./select-pair.js";
import { formatSummaryTable } from "./summary.js";
import type { TeacherSampling } from "./teacher-generator.js";
import { resolveTemplate } from "./template-file.js";
import { checkAnswerRules } from "./verifier-defaults.js";

const DECIMAL = /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

export const USAGE = `Usage: ssb-curate --problems FILE --rollouts FILE --out DIR [options]

Grades rollouts, keeps problems with both correct and wrong answers, picks one correct and one
majority-wrong response, and writes the SSB teacher prompts. With --teacher-replies (replies generated
for teacher-prompts.jsonl, e.g. by ssb-rollout --teacher-prompts with logit capture) it also checks each reply and
writes the training pairs. Rerunning on the same --out resumes where the last run stopped.

Inputs
  --problems FILE            JSONL of {id, question, answer}, or GSM8K's own lines (no id: the line
                             number, as ssb-rollout numbers them; the gold after the answer's ####)
  --rollouts FILE            JSONL of {problemId, sampleIndex, text, finishReason?, tokenIds?, ...}
  --teacher-replies FILE     JSONL of {id, text, tokenIds, finishReason, logitKey?, requestHash?,
                             messagesHash?, teacher?}; id = request id; a reply whose hashes are not its
                             request's is refused; teacher (one for the file) is pinned in run.json
  --model DIR                not supported here (curation does not depend on @ssb/rollout); see below
Output
  --out DIR                  teacher-prompts.jsonl, dropped.jsonl, pairs.jsonl, summary.json, run.json
  --json                     print the summary as JSON instead of a table
  --quiet                    no progress lines
Selection
  --seed N                   run seed for every random choice (0 to 2^53 - 1; default 0)
  --correct first|shortest|random   which correct rollout to show (default first)
  --wrong first|shortest|random     which rollout of the winning wrong answer (default first)
  --tie-break seeded|first   equally common wrong answers (default seeded)
  --require-majority         majority needs > 1 rollout, else pick a wrong answer at random (reference)
  --no-majority random|drop  with --require-majority: what to do without one (default random)
  --min-correct N, --min-wrong N    keep thresholds (default 1 and 1)
  --keep-truncated           grade truncated rollouts normally (default: they are no-answer)
  --answer-rules LIST        the verifier's extraction rules, comma-separated, in order (default boxed);
                             e.g. boxed,answer-tag for <answer>...</answer> replies, gsm8k for "#### 72";
                             rules: boxed, gsm8k, final-answer, answer-is, dollar, answer-tag, last-number
Teacher
  --template default|exact|FILE     prompt template (FILE: .json {name?, system?, user} or plain text)
  --student-system-file FILE        student system prompt (default: the paper's math-tutor prompt);
                                    rollouts that record their prompt must have been sampled with it
  --no-student-system        no student system prompt (rollouts sampled with ssb-rollout --no-system)
  --temperature X (0.4)  --top-k N (50)  --top-p X  --max-new-tokens N
  --max-attempts N           teacher tries per problem (default 1)
  --reject-student-mention   reject replies that mention "student"
  --batch-size N             problems per generator call (default 16)
`;

/**
 * Integer flags take decimal digits only: Number() also reads "", " 7", "0x10" and "1e300", and above 2^53 - 1
 * two different values (9007199254740993 and ...992) become one number, so two "different" seeds would be the
 * same run.
 */
function int(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n) || n < min)
    throw new UsageError(
      `--${name} must be an integer from ${min} to ${Number.MAX_SAFE_INTEGER}, got "${value}"`,
    );
  return n;
}

function num(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  // Written as a decimal number: Number() would also read "" and " " as 0 and "0x10" as 16.
  if (!DECIMAL.test(value) || !Number.isFinite(n) || n < 0)
    throw new UsageError(`--${name} must be a non-negative number, got "${value}"`);
  return n;
}

function oneOf<T extends string>(
  name: string,
  value: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} must be one of ${allowed.join(", ")}; got "${value}"`);
  }
  return value as T;
}

/**
 * Refuses an --out that cannot become a folder (an existing file, or a path under one) before the inputs are
 * read, instead of a bare EEXIST / ENOTDIR from mkdir after reading them.
 */
function checkOutDir(path: string): void {
  // Resolved, so "file/" is seen as the file it names rather than as a path under it.
  const full = resolve(path);
  let existing = full;
  while (!existsSync(existing)) {
    const parent = dirname(existing);
    if (parent === existing) return;
    existing = parent;
  }
  if (statSync(existing).isDirectory()) return;
  throw new Error(
    existing === full
      ? `--out ${path} exists and is not a folder; give a folder path`
      : `--out ${path}: ${existing} exists and is not a folder`,
  );
}

/**
 * Teacher replies cut off at the token limit are dropped, and the limit is easy to miss: without
 * --max-new-tokens the requests carry none and ssb-rollout's own default (256) applies, while the teacher is
 * asked for a solution more detailed than the rollouts (the reference allows 8192 new tokens).
 */
export function teacherTruncationNote(
  truncated: number,
  maxNewTokens: number | undefined,
  repliesLimit?: { maxNewTokens: number; file: string },
): string {
  const limit =
    maxNewTokens !== undefined
      ? `--max-new-tokens ${maxNewTokens}`
      : repliesLimit !== undefined
        ? `the ${repliesLimit.maxNewTokens} new tokens ssb-rollout --teacher-prompts allowed (maxNewTokens in ${repliesLimit.file})`
        : "the generator's limit (no --max-new-tokens here, so ssb-rollout --teacher-prompts used its own --max-new-tokens, default 256)";
  return (
    `[ssb-curate] note: ${truncated} teacher ${truncated === 1 ? "reply was" : "replies were"} cut off at ${limit} and dropped as teacher-truncated (dropped.jsonl). ` +
    "The teacher is asked for a solution more detailed than the rollouts (the reference allows 8192 new tokens): " +
    "to give it more, rerun with a larger --max-new-tokens and a new --out, then generate the replies again. " +
    "A try of 0 tokens there means its prompt did not fit the model's context.\n"
  );
}

/**
 * The reply cap ssb-rollout --teacher-prompts recorded beside its replies (`<file>.settings.json`: sampling's
 * maxNewTokens), or undefined when there is no such file or field: the note then cannot name the limit.
 */
function repliesLimit(file: string | undefined): { maxNewTokens: number; file: string } | undefined {
  if (file === undefined) return undefined;
  const settings = `${file}.settings.json`;
  try {
    const found = JSON.parse(readFileSync(settings, "utf8")) as { sampling?: { maxNewTokens?: unknown } };
    const limit = found.sampling?.maxNewTokens;
    return typeof limit === "number" ? { maxNewTokens: limit, file: settings } : undefined;
  } catch {
    return undefined;
  }
}

/** An input with no records would make a run that curates nothing and still reports success. */
function requireRecords<T>(records: readonly T[], flag: "problems" | "rollouts", path: string): readonly T[] {
  if (records.length === 0)
    throw new Error(`--${flag} ${path} holds no ${flag} (the file is empty or has only blank lines)`);
  return records;
}

/** `--answer-rules boxed,answer-tag`: the verifier's rule names, checked here so the error names the flag. */
function answerRules(value: string | undefined): CurationConfig["answerRules"] {
  if (value === undefined) return undefined;
  const rules = value.split(",").map((rule) => rule.trim());
  try {
    return checkAnswerRules(rules, "--answer-rules");
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

/**
 * `--template default|exact|FILE`: a FILE that names nothing (or a folder) is a usage error naming the flag,
 * before any input is read. The message says the two names too, since `--template exat` lands here.
 */
function templateFrom(value: string | undefined): CurationConfig["template"] {
  const spec = value ?? "default";
  if (spec !== "default" && spec !== "exact") {
    try {
      checkPath(spec, "file", { flag: "--template", expected: "a template file" });
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      throw new UsageError(`${err.message} (--template takes default, exact or a template file)`);
    }
  }
  return resolveTemplate(spec);
}

function readTextFile(flag: string, path: string): string {
  checkPath(path, "file", { flag: `--${flag}` });
  try {
    return stripBom(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`--${flag} ${path}: cannot read (${err instanceof Error ? err.message : String(err)})`);
  }
}

const OPTIONS = {
  problems: { type: "string" },
  rollouts: { type: "string" },
  out: { type: "string" },
  "teacher-replies": { type: "string" },
  model: { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean" },
  seed: { type: "string" },
  correct: { type: "string" },
  wrong: { type: "string" },
  "tie-break": { type: "string" },
  "require-majority": { type: "boolean" },
  "no-majority": { type: "string" },
  "min-correct": { type: "string" },
  "min-wrong": { type: "string" },
  "keep-truncated": { type: "boolean" },
  "answer-rules": { type: "string" },
  template: { type: "string" },
  "student-system-file": { type: "string" },
  "no-student-system": { type: "boolean" },
  temperature: { type: "string" },
  "top-k": { type: "string" },
  "top-p": { type: "string" },
  "max-new-tokens": { type: "string" },
  "max-attempts": { type: "string" },
  "reject-student-mention": { type: "boolean" },
  "batch-size": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (the progress bar is redrawn there; a log gets a line now and then). */
  stderrIsTTY?: boolean;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  stderrIsTTY: process.stderr.isTTY === true,
};

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage error). */
export async function main(argv: readonly string[], io: CliIo = defaultIo): Promise<number> {
  try {
    const { values, tokens } = parseCommandLine(
      () =>
        parseArgs({ args: [...argv], strict: true, allowPositionals: false, options: OPTIONS, tokens: true }),
      OPTIONS,
      argv,
    );
    refuseRepeatedOptions(tokens, OPTIONS);
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    if (values.model !== undefined) {
      throw new UsageError(
        "--model is not supported by ssb-curate: curation does not depend on @ssb/rollout at run time. " +
          "Generate replies for teacher-prompts.jsonl with ssb-rollout --teacher-prompts and pass them with " +
          "--teacher-replies, or call runCuration with @ssb/rollout's createTeacherGenerator in code",
      );
    }
    for (const required of ["problems", "rollouts", "out"] as const) {
      if (!values[required]) throw new UsageError(`--${required} is required`);
    }
    const choices: readonly RolloutChoice[] = ["first", "shortest", "random"];
    const sampling: Partial<TeacherSampling> = {};
    const temperature = num("temperature", values.temperature);
    if (temperature !== undefined) sampling.temperature = temperature;
    const topK = int("top-k", values["top-k"], 0);
    if (topK !== undefined) sampling.topK = topK;
    const topP = num("top-p", values["top-p"]);
    // As ssb-rollout takes it: a probability mass, 1 = off.
    if (topP !== undefined && !(topP > 0 && topP <= 1))
      throw new UsageError(`--top-p must be a number > 0 and <= 1, got "${values["top-p"]}"`);
    if (topP !== undefined) sampling.topP = topP;
    const maxNewTokens = int("max-new-tokens", values["max-new-tokens"], 1);
    if (maxNewTokens !== undefined) sampling.maxNewTokens = maxNewTokens;

    const config: CurationConfig = {
      seed: int("seed", values.seed, 0) ?? 0,
      correctChoice: oneOf("correct", values.correct, choices) ?? "first",
      wrongChoice: oneOf("wrong", values.wrong, choices) ?? "first",
      tieBreak: oneOf<TieBreak>("tie-break", values["tie-break"], ["seeded", "first"]) ?? "seeded",
      requireMajorityCountAboveOne: values["require-majority"] ?? false,
      whenNoMajority: oneOf("no-majority", values["no-majority"], ["random", "drop"] as const) ?? "random",
      minCorrect: int("min-correct", values["min-correct"], 1) ?? 1,
      minWrong: int("min-wrong", values["min-wrong"], 1) ?? 1,
      truncatedIsNoAnswer: !(values["keep-truncated"] ?? false),
      ...(values["answer-rules"] !== undefined && { answerRules: answerRules(values["answer-rules"]) }),
      template: templateFrom(values.template),
      teacherSampling: sampling,
      maxAttempts: int("max-attempts", values["max-attempts"], 1) ?? 1,
      rejectStudentMention: values["reject-student-mention"] ?? false,
      batchSize: int("batch-size", values["batch-size"], 1) ?? 16,
    };
    if (values["student-system-file"] !== undefined && values["no-student-system"])
      throw new UsageError("give --student-system-file FILE or --no-student-system, not both");
    if (values["no-student-system"]) config.studentSystemPrompt = null;
    if (values["student-system-file"]) {
      // A text file's last line break is not part of the prompt: ssb-rollout --system "$(cat FILE)" has none.
      config.studentSystemPrompt = readTextFile("student-system-file", values["student-system-file"]).replace(
        /\r?\n$/,
        "",
      );
    }

    // A path flag naming nothing, or a folder where a file belongs, is a usage error (exit 2) naming the flag,
    // as in ssb-rollout and ssb-verify, before --out is made or a large input is read.
    for (const flag of ["problems", "rollouts", "teacher-replies"] as const) {
      const path = values[flag];
      if (path !== undefined) checkPath(path, "file", { flag: `--${flag}` });
    }
    checkOutDir(values.out!);
    const problems = requireRecords(await readProblemsFile(values.problems!), "problems", values.problems!);
    const rollouts = requireRecords(await readRolloutsFile(values.rollouts!), "rollouts", values.rollouts!);
    const generator = values["teacher-replies"]
      ? await loadRepliesGenerator(values["teacher-replies"])
      : undefined;
    const quiet = values.quiet ?? false;
    // The bar every ssb command shows: redrawn on a terminal, a line every 30 s and at the end in a log.
    let bar: ProgressBar | undefined;
    const stream = { isTTY: io.stderrIsTTY === true, write: (t: string) => io.stderr(t) };
    const result = await runCuration({
      problems,
      rollouts,
      outDir: values.out!,
      config,
      ...(generator ? { generator } : {}),
      // Printed even with --quiet, as the other notes are: it says the folder mixes two verifiers' decisions.
      warn: (message) => io.stderr(`[ssb-curate] note: ${message}\n`),
      onProgress: (p) => {
        if (quiet) return;
        bar ??= createProgressBar(p.total, { label: "ssb-curate", unit: "problems", stream });
        // Without a teacher, "kept" problems are those selected for one (teacher prompts written).
        const kept = generator ? `kept ${p.kept}` : `selected ${p.kept}`;
        bar.update(p.done, [kept, `dropped ${p.dropped}`, `${p.skipped} resumed`]);
      },
    });
    bar?.finish();
    if (result.truncatedBytes > 0 && !quiet) {
      io.stderr(
        `[ssb-curate] removed a partial last record (${result.truncatedBytes} bytes) left by an interrupted run\n`,
      );
    }
    if (result.unmatchedRollouts > 0) io.stderr(unmatchedWarning(result, values.rollouts, values.problems));
    const truncated = result.summary.dropped.byReason["teacher-truncated"] ?? 0;
    if (generator && truncated > 0)
      io.stderr(teacherTruncationNote(truncated, maxNewTokens, repliesLimit(values["teacher-replies"])));
    // The same object as summary.json, so a script may read either.
    if (values.json)
      io.stdout(
        `${JSON.stringify({ ...result.summary, unmatchedRollouts: result.unmatchedRollouts }, null, 2)}\n`,
      );
    else
      io.stdout(
        `${formatSummaryTable(result.summary)}\n\nwrote ${values.out?.replace(/\/+$/, "")}/ (summary.json has the details)\n`,
      );
    return 0;
  } catch (err) {
    // A usage error is one line and a pointer to --help (the whole usage scrolled the error away); exit 2.
    return reportCliError("ssb-curate", err, { write: io.stderr });
  }
}

/**
 * Rollouts of problems the problems file lacks are left out of the run: say how many, of which file, and which
 * problemIds, so they can be found (the count alone gave nothing to search for).
 */
export function unmatchedWarning(
  result: Pick<CurationRunResult, "unmatchedRollouts" | "unmatchedProblemIds">,
  rolloutsFile: string | undefined,
  problemsFile: string | undefined,
): string {
  const n = result.unmatchedRollouts;
  const ids = result.unmatchedProblemIds.map((id) => JSON.stringify(id)).join(", ");
  const more = n > result.unmatchedProblemIds.length ? ", ..." : "";
  const which = n === 1 ? "rollout names a problem" : "rollouts name problems";
  return `[ssb-curate] warning: ${n} ${which} not in ${problemsFile} (problemId ${ids}${more}); ${n === 1 ? "it is" : "they are"} left out of this run (${rolloutsFile} is unchanged)\n`;
}
