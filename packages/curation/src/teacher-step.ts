/**
 * The teacher step: ask the model, as teacher, for a robust solution given the hinted prompt; keep the reply
 * only if its final answer is equivalent to the gold answer; retry up to `maxAttempts` times.
 */
import { gradeResponse } from "./grade-rollouts.js";
import type { Grader } from "./grader.js";
import { checkInteger, checkKnownKeys, checkNumber, checkOptionsObject } from "./option-checks.js";
import { derivedSeed } from "./prng.js";
import type { ChatMessage } from "./records.js";
import type {
  GenerationRequest,
  GenerationResult,
  TeacherGenerator,
  TeacherSampling,
} from "./teacher-generator.js";

export interface TeacherStepOptions {
  grader: Grader;
  /** Run seed; each request's sampler seed is derived from it, the problem id and the attempt. Default 0. */
  seed?: number;
  /** Sampling for the teacher: default temperature 0.4, top-k 50 (the reference's values). */
  sampling?: Partial<TeacherSampling>;
  /** Tries per problem (default 1, as the reference). */
  maxAttempts?: number;
  /** Reject replies that mention "student" (the prompt forbids it; the reference never checks). Default false. */
  rejectStudentMention?: boolean;
  /** Reject replies cut off by the token limit (default true). */
  rejectTruncated?: boolean;
  /** Capture logits (default true: the pair's logits are the training signal). */
  captureLogits?: boolean;
}

export const DEFAULT_TEACHER_SAMPLING: TeacherSampling = { temperature: 0.4, topK: 50 };

export type TeacherRejectReason =
  | "teacher-truncated"
  | "teacher-no-answer"
  | "teacher-wrong-answer"
  | "teacher-mentions-student";

export interface TeacherAttempt {
  attempt: number;
  requestId: string;
  seed: number | undefined;
  verdict: "accepted" | TeacherRejectReason;
  extracted: string | null;
  tokens: number;
  /** Logit-store key of this try's reply: rejected tries may leave rows there that no pair points to. */
  logitKey: string | null;
}

export interface TeacherTask {
  problemId: string;
  messages: ChatMessage[];
  gold: string;
}

export interface TeacherAccepted {
  kind: "accepted";
  problemId: string;
  result: GenerationResult;
  extracted: string | null;
  attempt: number;
  sampling: TeacherSampling;
  attempts: TeacherAttempt[];
}

export interface TeacherRejected {
  kind: "rejected";
  problemId: string;
  /** The reason of the last attempt. */
  reason: TeacherRejectReason;
  attempts: TeacherAttempt[];
}

export type TeacherOutcome = TeacherAccepted | TeacherRejected;

const MENTIONS_STUDENT = /\bstudents?\b/i;

export const TEACHER_SAMPLING_KEYS: readonly (keyof TeacherSampling)[] = [
  "temperature",
  "topK",
  "topP",
  "maxNewTokens",
  "seed",
];

/**
 * The teacher's sampling with the defaults filled in. A key given as undefined means "the default" (a spread
 * would overwrite the default with undefined); a misspelt key or a value of the wrong type is refused, naming
 * the field, instead of being stored in the prompt records and ignored by the generator.
 */
export function resolveTeacherSampling(
  sampling: Partial<TeacherSampling> = {},
  where = "teacher sampling",
  prefix = "teacherSampling",
): TeacherSampling {
  checkOptionsObject(sampling, where, `option "${prefix}"`);
  checkKnownKeys(sampling, TEACHER_SAMPLING_KEYS, where, `option "${prefix}" key`);
  const s = sampling as Record<string, unknown>;
  checkNumber(s.temperature, where, `${prefix}.temperature`, "a finite number >= 0", (t) => t >= 0);
  checkInteger(s.topK, 0, where, `${prefix}.topK`);
  // As ssb-rollout takes it: a probability mass, 1 = off.
  checkNumber(s.topP, where, `${prefix}.topP`, "a number > 0 and <= 1", (p) => p > 0 && p <= 1);
  checkInteger(s.maxNewTokens, 1, where, `${prefix}.maxNewTokens`);
  checkInteger(s.seed, 0, where, `${prefix}.seed`);
  const full: TeacherSampling = { ...DEFAULT_TEACHER_SAMPLING };
  for (const key of TEACHER_SAMPLING_KEYS) {
    const value = sampling[key];
    if (value !== undefined) full[key] = value;
  }
  return full;
}

/** The sampling of try `attempt` for a problem: the fixed seed if one is given, else one derived per try. */
export function teacherSamplingFor(
  seed: number,
  problemId: string,
  attempt: number,
  sampling: Partial<TeacherSampling> = {},
): TeacherSampling {
  const base = resolveTeacherSampling(sampling);
  return { ...base, seed: base.seed ?? derivedSeed(seed, "teacher", problemId, String(attempt)) };
}

export function requestId(problemId: string, attempt: number): string {
  return `${problemId}#${attempt}`;
}

/** Judges one reply; null means accepted. */
export function judgeTeacherReply(
  result: GenerationResult,
  gold: string,
  options: TeacherStepOptions,
): { reject: TeacherRejectReason | null; extracted: string | null } {
  // The package's one grading rule, as for rollouts: a verdict outside the three is refused (a custom grader's
  // "right" would otherwise drop every reply as a wrong answer), and "wrong" with no answer extracted (the
  // verifier out of its time budget) is no answer.
  const graded = gradeResponse(
    result.text,
    undefined,
    gold,
    options.grader,
    false,
    `teacher reply ${JSON.stringify(result.id)}`,
  );
  if ((options.rejectTruncated ?? true) && result.finishReason === "length") {
    return { reject: "teacher-truncated", extracted: graded.extracted };
  }
  if (graded.verdict === "no-answer") return { reject: "teacher-no-answer", extracted: graded.extracted };
  if (graded.verdict !== "correct") return { reject: "teacher-wrong-answer", extracted: graded.extracted };
  if (options.rejectStudentMention && MENTIONS_STUDENT.test(result.text)) {
    return { reject: "teacher-mentions-student", extracted: graded.extracted };
  }
  return { reject: null, extracted: graded.extracted };
}

function checkResult(result: GenerationResult, pending: Map<string, unknown>, seen: Set<string>): void {
  if (!pending.has(result.id)) {
    throw new Error(
      `teacher generator returned a result for unknown request id ${JSON.stringify(result.id)}`,
    );
  }
  if (seen.has(result.id)) {
    throw new Error(`teacher generator returned two results for request id ${JSON.stringify(result.id)}`);
  }
  if (typeof result.text !== "string") throw new Error(`teacher result ${result.id}: text must be a string`);
  if (!Array.isArray(result.tokenIds) || result.tokenIds.some((t) => !Number.isInteger(t) || t < 0)) {
    throw new Error(`teacher result ${result.id}: tokenIds must be an array of non-negative integers`);
  }
  if (result.finishReason !== "stop" && result.finishReason !== "length") {
    throw new Error(`teacher result ${result.id}: finishReason must be "stop" or "length"`);
  }
}

/**
 * Runs the teacher over a batch of tasks. Attempt r of every still-unaccepted task goes out in one generator
 * call, so a batching engine sees the whole batch at once.
 */
export async function runTeacherStep(
  tasks: readonly TeacherTask[],
  generator: TeacherGenerator,
  options: TeacherStepOptions,
): Promise<Map<string, TeacherOutcome>> {
  const maxAttempts = options.maxAttempts ?? 1;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`maxAttempts must be a positive integer, got ${maxAttempts}`);
  }
  // Checked once up front, naming the option, rather than on the first request.
  resolveTeacherSampling(options.sampling ?? {}, "runTeacherStep", "sampling");
  const seed = options.seed ?? 0;
  const ids = new Set<string>();
  for (const t of tasks) {
    if (ids.has(t.problemId))
      throw new Error(`runTeacherStep: problem id ${t.problemId} appears twice in one batch`);
    ids.add(t.problemId);
  }

  const logs = new Map<string, TeacherAttempt[]>(tasks.map((t) => [t.problemId, []]));
  const outcomes = new Map<string, TeacherOutcome>();
  let open = [...tasks];
  for (let attempt = 1; attempt <= maxAttempts && open.length > 0; attempt++) {
    const byRequest = new Map<string, { task: TeacherTask; sampling: TeacherSampling }>();
    const requests: GenerationRequest[] = open.map((task) => {
      const sampling = teacherSamplingFor(seed, task.problemId, attempt, options.sampling);
      const id = requestId(task.problemId, attempt);
      byRequest.set(id, { task, sampling });
      return { id, messages: task.messages, sampling };
    });
    const seen = new Set<string>();
    for await (const result of generator.generate(requests, {
      captureLogits: options.captureLogits ?? true,
    })) {
      checkResult(result, byRequest, seen);
      seen.add(result.id);
      const { task, sampling } = byRequest.get(result.id)!;
      const { reject, extracted } = judgeTeacherReply(result, task.gold, options);
      const log = logs.get(task.problemId)!;
      log.push({
        attempt,
        requestId: result.id,
        seed: sampling.seed,
        verdict: reject ?? "accepted",
        extracted,
        tokens: result.tokenIds.length,
        logitKey: result.logitKey ?? null,
      });
      if (reject === null) {
        outcomes.set(task.problemId, {
          kind: "accepted",
          problemId: task.problemId,
          result,
          extracted,
          attempt,
          sampling,
          attempts: log,
        });
      } else if (attempt === maxAttempts) {
        outcomes.set(task.problemId, {
          kind: "rejected",
          problemId: task.problemId,
          reason: reject,
          attempts: log,
        });
      }
    }
    const missing = requests.filter((r) => !seen.has(r.id)).map((r) => r.id);
    if (missing.length > 0) {
      throw new Error(
        `teacher generator returned no result for ${missing.length} request(s): ${missing.slice(0, 5).join(", ")}`,
      );
    }
    open = open.filter((t) => !outcomes.has(t.problemId));
  }
  return outcomes;
}
