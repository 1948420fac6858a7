/**
 * runCuration's input object, checked before anything else: a misspelt key (`outdir`, `config.sed`) was
 * ignored (the run used the default seed, or failed inside Node with `The "path" argument must be of type
 * string`), and a generator, hook or signal of the wrong shape failed only after the output folder was made,
 * with a message naming none of them.
 */
import { refuseUnknownOptions } from "@ssb/cli-kit";
import { checkOptionsObject } from "./option-checks.js";
import { describe } from "./parse-records.js";
import type { CurationConfig, RunCurationInput } from "./run-curation.js";

const WHERE = "runCuration";

/** Every key of RunCurationInput; the Record type makes the compiler keep the list complete. */
const INPUT_KEYS: Record<keyof RunCurationInput, true> = {
  problems: true,
  rollouts: true,
  outDir: true,
  config: true,
  generator: true,
  onProgress: true,
  signal: true,
  warn: true,
};

/** Every key of CurationConfig, kept complete the same way. */
const CONFIG_KEYS: Record<keyof CurationConfig, true> = {
  grader: true,
  graderId: true,
  answerRules: true,
  equivalence: true,
  equivalenceId: true,
  seed: true,
  correctChoice: true,
  wrongChoice: true,
  tieBreak: true,
  requireMajorityCountAboveOne: true,
  whenNoMajority: true,
  minCorrect: true,
  minWrong: true,
  truncatedIsNoAnswer: true,
  template: true,
  studentSystemPrompt: true,
  teacherSampling: true,
  maxAttempts: true,
  rejectStudentMention: true,
  rejectTruncated: true,
  captureLogits: true,
  batchSize: true,
};

const fail = (message: string): TypeError => new TypeError(message);

function checkFunction(value: unknown, field: string, what: string): void {
  if (value !== undefined && typeof value !== "function")
    throw fail(`${WHERE}: ${field} must be ${what}, found ${describe(value)}`);
}

/** Throws, naming the key, when the input is not what runCuration reads. Records are checked elsewhere. */
export function checkRunInput(input: unknown): void {
  if (typeof input !== "object" || input === null || Array.isArray(input))
    throw fail(`${WHERE}: expected an object { problems, rollouts, outDir, ... }, found ${describe(input)}`);
  const o = input as Record<string, unknown>;
  refuseUnknownOptions(o, Object.keys(INPUT_KEYS), WHERE, fail);
  // "" would be the working directory: the outputs would land beside whatever is there.
  if (typeof o.outDir !== "string" || o.outDir.trim() === "")
    throw fail(`${WHERE}: outDir must be a folder path (a non-empty string), found ${describe(o.outDir)}`);
  checkOptionsObject(o.config, WHERE, "config");
  if (o.config !== undefined) {
    const config = o.config as Record<string, unknown>;
    refuseUnknownOptions(config, Object.keys(CONFIG_KEYS), `${WHERE}: config`, fail);
    checkFunction(
      config.grader,
      "config.grader",
      "a function (response, gold) => { verdict, extracted, reason }",
    );
    checkFunction(config.equivalence, "config.equivalence", "a function (a, b) => boolean");
  }
  const generator = o.generator;
  if (generator !== undefined) {
    if (
      typeof generator !== "object" ||
      generator === null ||
      typeof (generator as Record<string, unknown>).generate !== "function"
    )
      throw fail(
        `${WHERE}: generator must be a TeacherGenerator (an object with generate(requests, options), e.g. @ssb/rollout's createTeacherGenerator(...)), found ${describe(generator)}`,
      );
    const g = generator as Record<string, unknown>;
    checkFunction(g.commit, "generator.commit", "a function");
    if (g.identity !== undefined && typeof g.identity !== "string")
      throw fail(`${WHERE}: generator.identity must be a string, found ${describe(g.identity)}`);
  }
  checkFunction(o.onProgress, "onProgress", "a function");
  checkFunction(o.warn, "warn", "a function");
  const signal = o.signal;
  if (
    signal !== undefined &&
    (typeof signal !== "object" ||
      signal === null ||
      typeof (signal as Record<string, unknown>).throwIfAborted !== "function")
  )
    throw fail(
      `${WHERE}: signal must be an AbortSignal (an AbortController's .signal), found ${describe(signal)}`,
    );
}
