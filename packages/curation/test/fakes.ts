/**
 * Test doubles: a tiny boxed-answer grader with numeric equivalence (so "18.00" ~ "18") and a scripted
 * TeacherGenerator. They stand in for @ssb/verifier and @ssb/rollout in unit tests of curation's own logic.
 */
import type { AnswerEquivalence, Grader } from "../src/grader.js";
import type { Problem, Rollout } from "../src/records.js";
import type {
  GenerationOptions,
  GenerationRequest,
  GenerationResult,
  TeacherGenerator,
} from "../src/teacher-generator.js";

export const fakeEquivalence: AnswerEquivalence = (a, b) => {
  const x = Number(a.replace(/,/g, ""));
  const y = Number(b.replace(/,/g, ""));
  if (a.trim() !== "" && b.trim() !== "" && Number.isFinite(x) && Number.isFinite(y)) return x === y;
  return a.trim() === b.trim();
};

export const fakeGrader: Grader = (response, gold) => {
  const matches = [...response.matchAll(/\\boxed\{([^{}]*)\}/g)];
  const last = matches[matches.length - 1];
  if (!last) return { verdict: "no-answer", extracted: null, reason: "no \\boxed{} answer" };
  const extracted = last[1]!;
  return fakeEquivalence(extracted, gold)
    ? { verdict: "correct", extracted, reason: "equivalent to gold" }
    : { verdict: "wrong", extracted, reason: `${extracted} is not ${gold}` };
};

/** A rollout whose text ends in \boxed{answer} (or has no box when answer is null). */
export function rollout(problemId: string, sampleIndex: number, answer: string | null, extra = ""): Rollout {
  const text =
    answer === null ? `I am not sure.${extra}` : `Work for ${problemId}.${extra} So \\boxed{${answer}}`;
  return { problemId, sampleIndex, text, finishReason: "stop" };
}

export function rollouts(problemId: string, answers: (string | null)[]): Rollout[] {
  return answers.map((a, i) => rollout(problemId, i, a));
}

export type Script = (request: GenerationRequest) => { text: string; finishReason?: "stop" | "length" };

/**
 * A scripted generator: `script` decides each reply; token ids are the UTF-16 codes of the text plus an
 * end-of-turn id 0, the logit key is the request id. Results come back in reverse order to prove callers do not
 * rely on order. `delayMs` makes it slow enough to be killed mid-run.
 */
export class ScriptedGenerator implements TeacherGenerator {
  readonly calls: { requests: GenerationRequest[]; options: GenerationOptions }[] = [];
  constructor(
    private readonly script: Script,
    private readonly delayMs = 0,
  ) {}

  async *generate(
    requests: GenerationRequest[],
    options: GenerationOptions,
  ): AsyncIterable<GenerationResult> {
    this.calls.push({ requests, options });
    for (const request of [...requests].reverse()) {
      if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
      const { text, finishReason = "stop" } = this.script(request);
      const tokenIds = [...text].map((ch) => ch.codePointAt(0)!).concat([0]);
      yield { id: request.id, text, tokenIds, finishReason, logitKey: request.id };
    }
  }
}

/** The gold answer of the problem a request belongs to (the hinted prompt holds the question text). */
export function problemOfRequest(request: GenerationRequest): string {
  return request.id.slice(0, request.id.lastIndexOf("#"));
}

/** A synthetic benchmark: problem i has gold i; its rollouts mix right, wrong and missing answers by i. */
export function syntheticRun(n: number, k = 6): { problems: Problem[]; rollouts: Rollout[] } {
  const problems: Problem[] = [];
  const all: Rollout[] = [];
  for (let i = 0; i < n; i++) {
    const id = `p${String(i).padStart(3, "0")}`;
    problems.push({ id, question: `What is ${i} + 0?`, answer: String(i) });
    for (let s = 0; s < k; s++) {
      // Most problems mix outcomes; some are all-correct, all-missing or all-wrong so every drop reason shows.
      const kind = i % 7 === 3 ? 0 : i % 7 === 5 ? 4 : i % 7 === 6 ? 1 : (i * 7 + s * 3) % 5;
      const answer =
        kind === 0 || kind === 3
          ? String(i)
          : kind === 1
            ? `${i + 1}.00`
            : kind === 2
              ? String(i + (s % 3))
              : null;
      all.push(rollout(id, s, answer, ` step ${s}`));
    }
  }
  return { problems, rollouts: all };
}
