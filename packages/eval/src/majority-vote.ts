/**
 * maj@k: majority vote over the final answers of k samples, where answers that the verifier calls equivalent
 * (`1/2`, `0.5`, `\frac12`) count as one vote class.
 *
 * Rules (documented in the README):
 * - Samples with no extracted answer abstain; if every sample abstains the vote is wrong (0).
 * - Classes are formed once per problem over all n samples, greedily in sample order: an answer joins the first
 *   class whose representative (its first answer) is equivalent to it. Equivalence is not always transitive
 *   (numeric tolerance), and greedy-by-representative keeps the result independent of later answers.
 * - A class is judged by its records' own verdicts (`correct`), never re-judged against the gold: the grader may
 *   mark a sample wrong whose extracted answer equals the gold (a hedged `\boxed{3} or \boxed{5}` keeps "5").
 *   A class's score is the share of its records graded correct (1 or 0 when they agree; a mixed class, e.g. a
 *   clean "5" and a hedged "5", scores in between). Read it as: the vote returns one of the winning class's
 *   samples at random, graded as that sample was. This makes maj@1 equal pass@1 exactly.
 * - Ties: when t classes share the top count, the vote picks one uniformly at random, so the problem scores
 *   (sum of the tied classes' scores) / t — the expected value of that random pick, with no seed needed.
 * - For k < n the score is averaged over k-subsets of the n samples: exactly over all C(n, k) subsets when there
 *   are at most `maxSubsets`, otherwise over `maxSubsets` seeded random subsets.
 */
import type { Rng } from "./prng.js";

export interface VoteClasses {
  /** classOf[i] is sample i's class, or -1 when sample i has no answer. */
  classOf: number[];
  /** Each class's representative answer. */
  representatives: string[];
}

/** Group answers into equivalence classes (greedy, in order, against each class's first answer). */
export function voteClasses(
  answers: readonly (string | null)[],
  equivalent: (a: string, b: string) => boolean,
): VoteClasses {
  const representatives: string[] = [];
  const classOf: number[] = [];
  // Samples often repeat an answer verbatim; each distinct string is compared against the classes only once.
  const seen = new Map<string, number>();
  for (const [i, answer] of answers.entries()) {
    // JS callers (or records read from JSON) can hand in undefined or numbers; say which entry, not "reading trim".
    if (answer !== null && typeof answer !== "string") {
      throw new TypeError(
        `voteClasses: answers[${i}] is ${answer === undefined ? "undefined" : typeof answer}; expected a string or null (null = no answer)`,
      );
    }
    if (answer === null || answer.trim() === "") {
      classOf.push(-1);
      continue;
    }
    let found = seen.get(answer) ?? representatives.findIndex((rep) => equivalent(answer, rep));
    if (found < 0) {
      found = representatives.length;
      representatives.push(answer);
    }
    seen.set(answer, found);
    classOf.push(found);
  }
  return { classOf, representatives };
}

/**
 * Each class's score from its records' own verdicts: the share of the samples in that class graded correct
 * (abstaining samples, class -1, belong to no class).
 */
export function classScores(
  classOf: readonly number[],
  correct: readonly boolean[],
  classes: number,
): number[] {
  if (correct.length !== classOf.length) {
    throw new RangeError(`classScores: ${classOf.length} class ids but ${correct.length} verdicts`);
  }
  const right = new Array<number>(classes).fill(0);
  const total = new Array<number>(classes).fill(0);
  for (const [i, id] of classOf.entries()) {
    if (id < 0) continue;
    total[id] = (total[id] ?? 0) + 1;
    if (correct[i] === true) right[id] = (right[id] ?? 0) + 1;
  }
  return right.map((r, id) => ((total[id] ?? 0) === 0 ? 0 : r / (total[id] ?? 1)));
}

/** A class's score: a number in [0, 1], or a boolean (true = 1) as older callers pass. */
function scoreOf(value: number | boolean | undefined): number {
  if (value === true) return 1;
  return typeof value === "number" ? value : 0;
}

/**
 * Score of one vote over the given samples (class ids, -1 = abstain); ties share credit as described above.
 * `classCorrect[id]` is the class's score (see classScores) or a boolean.
 */
export function voteScore(classIds: readonly number[], classCorrect: readonly (number | boolean)[]): number {
  const counts = new Map<number, number>();
  for (const id of classIds) if (id >= 0) counts.set(id, (counts.get(id) ?? 0) + 1);
  let top = 0;
  for (const c of counts.values()) top = Math.max(top, c);
  if (top === 0) return 0;
  let tied = 0;
  let tiedCorrect = 0;
  for (const [id, c] of counts) {
    if (c !== top) continue;
    tied++;
    tiedCorrect += scoreOf(classCorrect[id]);
  }
  return tiedCorrect / tied;
}

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 0; i < k; i++) r = (r * (n - i)) / (i + 1);
  return Math.round(r);
}

/** Visit every k-subset of 0..n-1 in lexicographic order. */
function forEachSubset(n: number, k: number, visit: (indices: readonly number[]) => void): void {
  const idx = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    visit(idx);
    let i = k - 1;
    while (i >= 0 && idx[i] === n - k + i) i--;
    if (i < 0) return;
    idx[i] = (idx[i] ?? 0) + 1;
    for (let j = i + 1; j < k; j++) idx[j] = (idx[j - 1] ?? 0) + 1;
  }
}

/** A uniformly random k-subset (partial Fisher–Yates). */
function randomSubset(n: number, k: number, rng: Rng): number[] {
  const pool = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rng() * (n - i));
    const t = pool[i] ?? 0;
    pool[i] = pool[j] ?? 0;
    pool[j] = t;
  }
  return pool.slice(0, k);
}

export interface MajAtKOptions {
  /** Enumerate all subsets up to this many, else sample this many. Default 2,000. */
  maxSubsets?: number;
  /** Needed only when subsets are sampled. */
  rng?: Rng;
}

/** maj@k of one problem from its samples' classes and each class's score (see classScores) or correctness. */
export function majAtK(
  classOf: readonly number[],
  classCorrect: readonly (number | boolean)[],
  k: number,
  options: MajAtKOptions = {},
): number {
  const n = classOf.length;
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new RangeError(`majAtK: need 1 <= k <= n (got k=${k}, n=${n})`);
  }
  if (k === n) return voteScore(classOf, classCorrect);
  const maxSubsets = options.maxSubsets ?? 2000;
  const pick = (indices: readonly number[]) => indices.map((i) => classOf[i] ?? -1);
  if (binomial(n, k) <= maxSubsets) {
    let total = 0;
    let count = 0;
    forEachSubset(n, k, (indices) => {
      total += voteScore(pick(indices), classCorrect);
      count++;
    });
    return total / count;
  }
  const rng = options.rng;
  if (rng === undefined)
    throw new Error(`majAtK: C(${n}, ${k}) exceeds maxSubsets; pass an rng to sample subsets`);
  let total = 0;
  for (let s = 0; s < maxSubsets; s++) total += voteScore(pick(randomSubset(n, k, rng)), classCorrect);
  return total / maxSubsets;
}
