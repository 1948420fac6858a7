import { accuracyReward } from "@ssb/verifier";
import { describe, expect, it } from "vitest";
import { fakeGrader } from "../test/fakes.js";
import { groupRewards } from "./group-rewards.js";
import { grpoAdvantages } from "./grpo-advantages.js";
import { groupPassAtK, passAtK } from "./pass-at-k.js";
import { verifierGrader } from "./verifier-defaults.js";

/** Brute force pass@k: fraction of k-subsets with at least one correct sample. */
function bruteForce(n: number, c: number, k: number): number {
  let hit = 0;
  let total = 0;
  const rec = (start: number, left: number, anyCorrect: boolean): void => {
    if (left === 0) {
      total++;
      if (anyCorrect) hit++;
      return;
    }
    for (let i = start; i < n; i++) rec(i + 1, left - 1, anyCorrect || i < c);
  };
  rec(0, k, false);
  return hit / total;
}

describe("groupRewards", () => {
  it("scores a group with the verifier: 1 correct, 0 otherwise, configurable", () => {
    const texts = ["\\boxed{18}", "\\boxed{18.0}", "\\boxed{17}", "no answer"];
    const r = groupRewards(texts, "18", verifierGrader);
    expect(r.verdicts).toEqual(["correct", "correct", "wrong", "no-answer"]);
    expect(r.rewards).toEqual([1, 1, 0, 0]);
    expect(r.correct).toEqual([true, true, false, false]);
    // The extracted answers, for a majority vote without grading again.
    expect(r.extracted).toEqual(["18", "18.0", "17", null]);
    const shaped = groupRewards(texts, "18", fakeGrader, { correct: 1, wrong: 0, noAnswer: -0.5 });
    expect(shaped.rewards).toEqual([1, 1, 0, -0.5]);
  });
});

describe("grpoAdvantages", () => {
  it("normalises by group mean and std (population), with epsilon", () => {
    const a = grpoAdvantages([1, 0, 0, 1]);
    // mean 0.5, std 0.5
    for (const [x, e] of a.map((v, i) => [v, [1, -1, -1, 1][i]!] as const)) expect(x).toBeCloseTo(e, 5);
    expect(a.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 12);
    const unbiased = grpoAdvantages([1, 0, 0, 1], { unbiasedStd: true });
    expect(unbiased[0]).toBeCloseTo(0.5 / Math.sqrt(1 / 3), 5);
  });

  it("Dr. GRPO keeps the centred rewards without std scaling", () => {
    expect(grpoAdvantages([1, 0, 0, 0], { variant: "dr-grpo" })).toEqual([0.75, -0.25, -0.25, -0.25]);
  });

  it("a uniform group carries no signal and never divides by zero", () => {
    expect(grpoAdvantages([1, 1, 1])).toEqual([0, 0, 0]);
    // Zeros whatever epsilon is, 0 included (0 / 0 would give NaN), as documented.
    expect(grpoAdvantages([0, 0], { epsilon: 0 })).toEqual([0, 0]);
    expect(grpoAdvantages([0.5, 0.5], { epsilon: 0 })).toEqual([0, 0]);
    expect(grpoAdvantages([0.1, 0.1, 0.1], { epsilon: 0 })).toEqual([0, 0, 0]);
    expect(grpoAdvantages([3], { unbiasedStd: true })).toEqual([0]);
    expect(grpoAdvantages([])).toEqual([]);
    expect(() => grpoAdvantages([1, Number.NaN])).toThrow(/finite/);
  });
});

describe("grpoAdvantages option checks", () => {
  // Options typed loosely on purpose: JavaScript callers and config files pass anything.
  const adv = (rewards: number[], options: unknown) => grpoAdvantages(rewards, options as never);

  it("refuses a negative, non-finite or non-number epsilon instead of flipping signs or concatenating", () => {
    expect(() => adv([1, 0], { epsilon: -1 })).toThrow(
      /grpoAdvantages: option "epsilon" must be a finite number >= 0, found number -1/,
    );
    expect(() => adv([1, 0], { epsilon: "1e-6" })).toThrow(/option "epsilon" .* found the string "1e-6"/);
    expect(() => adv([1, 0], { epsilon: Number.NaN })).toThrow(/option "epsilon"/);
    expect(() => adv([1, 0], { epsilon: Number.POSITIVE_INFINITY })).toThrow(/option "epsilon"/);
    expect(adv([1, 0], { epsilon: 0 })).toEqual([1, -1]);
  });

  it("refuses an unknown variant or option key instead of running plain GRPO", () => {
    expect(() => adv([1, 0], { variant: "drgrpo" })).toThrow(
      /option "variant" must be one of "grpo", "dr-grpo", "rloo", found the string "drgrpo"/,
    );
    expect(() => adv([1, 0], { varient: "dr-grpo" })).toThrow(
      /unknown option "varient" \(known: variant, epsilon, unbiasedStd\)/,
    );
    expect(() => adv([1, 0], { unbiasedStd: "yes" })).toThrow(/option "unbiasedStd" must be true or false/);
    expect(() => adv([1, 0], null)).toThrow(/options must be an object, found null/);
  });

  it("keeps huge rewards representable: scaled, not overflowed to zeros", () => {
    const a = grpoAdvantages([1e308, -1e308]);
    expect(a[0]).toBeCloseTo(1, 5);
    expect(a[1]).toBeCloseTo(-1, 5);
    const b = grpoAdvantages([1.5e308, 1.5e308, -1e308, 0]);
    expect(b.every(Number.isFinite)).toBe(true);
    expect(b.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 9);
    expect(grpoAdvantages([1e308, -1e308], { variant: "dr-grpo" })).toEqual([1e308, -1e308]);
    expect(() => grpoAdvantages([1.7e308, -1.7e308, -1.7e308], { variant: "dr-grpo" })).toThrow(/too large/);
    // Tiny rewards: epsilon dominates as it should (the advantages shrink, nothing divides by zero).
    expect(grpoAdvantages([1e-300, 0]).every((v) => Math.abs(v) < 1e-200)).toBe(true);
  });
});

describe("groupRewards scheme", () => {
  const texts = ["\\boxed{18}", "\\boxed{17}", "no answer"];

  it("merges a partial scheme with the defaults", () => {
    expect(groupRewards(texts, "18", fakeGrader, { noAnswer: -1 }).rewards).toEqual([1, 0, -1]);
    expect(groupRewards(texts, "18", fakeGrader, { correct: 2, noAnswer: undefined }).rewards).toEqual([
      2, 0, 0,
    ]);
    expect(groupRewards(texts, "18", fakeGrader, {}).rewards).toEqual([1, 0, 0]);
  });

  it("refuses non-finite values and unknown keys, naming them", () => {
    const bad = (scheme: unknown) => () => groupRewards(texts, "18", fakeGrader, scheme as never);
    expect(bad({ noAnswer: "-1" })).toThrow(
      /groupRewards: option "scheme.noAnswer" must be a finite number, found the string "-1"/,
    );
    expect(bad({ wrong: Number.NaN })).toThrow(/"scheme.wrong"/);
    expect(bad({ correct: Number.POSITIVE_INFINITY })).toThrow(/"scheme.correct"/);
    expect(bad({ no_answer: -1 })).toThrow(/unknown reward scheme key "no_answer"/);
    expect(bad(null)).toThrow(/the reward scheme must be an object, found null/);
  });
});

describe("passAtK", () => {
  it("matches brute-force enumeration", () => {
    for (let n = 1; n <= 8; n++) {
      for (let c = 0; c <= n; c++) {
        for (let k = 1; k <= n; k++) expect(passAtK(n, c, k)).toBeCloseTo(bruteForce(n, c, k), 12);
      }
    }
  });

  it("keeps the digits of a small pass@k (1 - product lost them: 1e-10 relative at n = 1e6)", () => {
    const relative = (got: number, want: number) => Math.abs(got - want) / want;
    expect(relative(passAtK(1_000_000, 1, 1), 1e-6)).toBeLessThan(1e-14);
    expect(relative(passAtK(1_000_000, 1, 3), 3e-6)).toBeLessThan(1e-14); // 1 - C(n-1,3)/C(n,3) = 3/n
    expect(relative(passAtK(10_000_000, 2, 1), 2e-7)).toBeLessThan(1e-14);
    // ... while the small cases a report prints stay exact.
    expect(passAtK(4, 1, 1)).toBe(0.25);
    expect(passAtK(4, 1, 2)).toBe(0.5);
  });

  it("pass@1 is the fraction correct; edge cases", () => {
    expect(passAtK(10, 3, 1)).toBeCloseTo(0.3, 12);
    expect(passAtK(10, 0, 5)).toBe(0);
    expect(passAtK(10, 6, 5)).toBe(1);
    expect(groupPassAtK([true, false, false, false], 2)).toBeCloseTo(0.5, 12);
    expect(() => passAtK(4, 1, 5)).toThrow(/k <= n/);
    expect(() => passAtK(4, 5, 1)).toThrow(/c <= n/);
  });
});

describe("grpoAdvantages against the references (TRL GRPOTrainer, RLOO)", () => {
  // TRL: advantages = (r - group mean) / (torch.std(group) + 1e-4), torch.std being the n - 1 std.
  const trl = (r: number[]): number[] => {
    const m = r.reduce((a, b) => a + b, 0) / r.length;
    const sd = Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / (r.length - 1));
    return r.map((x) => (x - m) / (sd + 1e-4));
  };
  // TRL RLOO: baseline_i = (sum - r_i) / (k - 1), advantage = r_i - baseline_i.
  const rloo = (r: number[]): number[] => {
    const s = r.reduce((a, b) => a + b, 0);
    return r.map((x) => x - (s - x) / (r.length - 1));
  };
  const groups = [
    [1, 0, 0, 1],
    [1, 0, 0, 0],
    [0.3, 0.7, 0.2],
    [2, -1, 0.5, 0.5],
  ];

  it("{ unbiasedStd: true, epsilon: 1e-4 } gives TRL's numbers; the default (population std, 1e-6) does not", () => {
    for (const r of groups) {
      const ours = grpoAdvantages(r, { unbiasedStd: true, epsilon: 1e-4 });
      ours.forEach((a, i) => {
        expect(a).toBeCloseTo(trl(r)[i]!, 12);
      });
    }
    // [1, 0, 0, 0]: TRL 1.4997, population std 1.7320.
    expect(grpoAdvantages([1, 0, 0, 0])[0]).toBeCloseTo(1.732046807578115, 12);
    expect(trl([1, 0, 0, 0])[0]).toBeCloseTo(1.4997000599880024, 12);
  });

  it('"rloo" is the leave-one-out baseline; a group of one or a uniform group gets zeros', () => {
    for (const r of groups) {
      grpoAdvantages(r, { variant: "rloo" }).forEach((a, i) => {
        expect(a).toBeCloseTo(rloo(r)[i]!, 12);
      });
    }
    expect(grpoAdvantages([1, 0, 0, 0], { variant: "rloo" })).toEqual([1, -1 / 3, -1 / 3, -1 / 3]);
    expect(grpoAdvantages([1], { variant: "rloo" })).toEqual([0]);
    expect(grpoAdvantages([0.5, 0.5], { variant: "rloo" })).toEqual([0, 0]);
    expect(grpoAdvantages([4e307, -4e307], { variant: "rloo" })).toEqual([8e307, -8e307]);
    expect(() => grpoAdvantages([1e308, -1e308], { variant: "rloo" })).toThrow(
      /rloo advantages .* too large/,
    );
  });

  it("rewards equal up to rounding are a uniform group: zeros, not +-1, with epsilon 0", () => {
    const r = [0.1 + 0.2, 0.3, 0.3]; // 0.30000000000000004, 0.3, 0.3
    expect(grpoAdvantages(r, { epsilon: 0 })).toEqual([0, 0, 0]);
    expect(grpoAdvantages(r, { variant: "rloo" })).toEqual([0, 0, 0]);
    // A real difference, however small in absolute terms, is kept.
    expect(grpoAdvantages([3e-17, 0, 0], { epsilon: 0 })[0]).toBeCloseTo(Math.SQRT2, 12);
  });

  it("TRL's scale_rewards=\"batch\" is dr-grpo divided by the batch's sample std + 1e-4 (README recipe)", () => {
    const batch = [
      [1, 0, 0, 0],
      [1, 1, 0, 1],
    ];
    const all = batch.flat();
    const m = all.reduce((a, b) => a + b, 0) / all.length;
    const s = Math.sqrt(all.reduce((a, b) => a + (b - m) ** 2, 0) / (all.length - 1));
    for (const g of batch) {
      const gm = g.reduce((a, b) => a + b, 0) / g.length;
      const trlBatch = g.map((r) => (r - gm) / (s + 1e-4));
      grpoAdvantages(g, { variant: "dr-grpo" }).forEach((a, i) => {
        expect(a / (s + 1e-4)).toBeCloseTo(trlBatch[i]!, 12);
      });
    }
  });

  it("names the index of a reward that is not a finite number", () => {
    expect(() => grpoAdvantages([1, 0, Number.NaN])).toThrow(
      /grpoAdvantages: rewards\[2\] must be a finite number, found number NaN/,
    );
    expect(() => grpoAdvantages([1, null as never])).toThrow(
      /rewards\[1\] must be a finite number, found null/,
    );
  });
});

describe("groupPassAtK input checks", () => {
  it("refuses anything but booleans, naming the index (0.5 or a verdict string would count as correct)", () => {
    expect(() => groupPassAtK([1, 0, 0.5, 0] as never, 1)).toThrow(
      /groupPassAtK: correct\[0\] must be true or false, found number 1/,
    );
    expect(() => groupPassAtK(["correct", "wrong"] as never, 1)).toThrow(
      /correct\[0\] must be true or false, found the string "correct"/,
    );
  });

  it("says when k is more than the group's samples, and names a k that is not an integer", () => {
    expect(() => groupPassAtK([true, false], 4)).toThrow(
      /groupPassAtK: k = 4 is more than the group's 2 samples/,
    );
    expect(() => groupPassAtK([], 1)).toThrow(/k = 1 is more than the group's 0 samples/);
    expect(() => groupPassAtK([true, false], "1" as never)).toThrow(
      /passAtK: k must be an integer, found the string "1"/,
    );
  });

  it("is stable for large n (n = 200, k = 100) and matches the exact ratio of binomials", () => {
    // Exact 1 - C(n-c, k) / C(n, k) with BigInt, to 15 digits.
    const binom = (n: number, k: number): bigint => {
      let r = 1n;
      for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
      return r;
    };
    const exact = (n: number, c: number, k: number): number => {
      const scale = 10n ** 18n;
      return 1 - Number((binom(n - c, k) * scale) / binom(n, k)) / 1e18;
    };
    for (const [n, c, k] of [
      [200, 1, 100],
      [200, 3, 100],
      [200, 17, 50],
      [200, 60, 100],
    ] as const) {
      expect(passAtK(n, c, k)).toBeCloseTo(exact(n, c, k), 14);
    }
  });
});

describe("groupRewards input checks and truncation", () => {
  const texts = ["\\boxed{18}", "\\boxed{17}", "no answer"];

  it("refuses a grader verdict outside correct / wrong / no-answer, naming the response", () => {
    const grader = () => ({ verdict: "right", extracted: "18", reason: "" }) as never;
    expect(() => groupRewards(texts, "18", grader)).toThrow(
      /groupRewards: responses\[0\]: the grader returned verdict the string "right"; a grader must return/,
    );
  });

  it("takes a finite number as the gold, as its String() text, scoring as @ssb/verifier's accuracyReward does", () => {
    // RLVR users pass GSM8K golds parsed as JSON numbers; accuracyReward grades them with String(gold).
    const golds = [72, -3, 1.5, 0.1 + 0.2, 1e21, 5e-7, 0];
    for (const gold of golds) {
      const replies = [`\\boxed{${String(gold)}}`, "\\boxed{71}", "\\boxed{1e21}", "\\boxed{0.3}", "no box"];
      const seen: string[] = [];
      const grader = (text: string, g: string) => {
        seen.push(g);
        return verifierGrader(text, g);
      };
      const ours = groupRewards(replies, gold, grader, { noAnswer: -1 });
      expect(seen.every((g) => g === String(gold))).toBe(true);
      const theirs = accuracyReward({ noAnswer: -1, grading: { rules: ["boxed"] } })({
        completions: replies,
        answer: replies.map(() => gold),
      });
      expect(ours.rewards, `gold ${gold}`).toEqual(theirs);
    }
    expect(groupRewards(["\\boxed{72}"], 72, verifierGrader).rewards).toEqual([1]);
  });

  it("refuses a gold that is not a string or a finite number, and responses that are not strings or { text }", () => {
    expect(() => groupRewards(texts, undefined as never, fakeGrader)).toThrow(
      /groupRewards: gold must be a string or a finite number \(the gold answer\), found nothing/,
    );
    for (const [gold, found] of [
      [Number.NaN, "number NaN"],
      [Number.POSITIVE_INFINITY, "number Infinity"],
      [Number.NEGATIVE_INFINITY, "number -Infinity"],
      [{ value: 72 }, "an object"],
      [[72], "an array"],
      [null, "null"],
      [72n, "bigint 72"],
    ] as const) {
      expect(() => groupRewards(texts, gold as never, fakeGrader)).toThrow(
        `groupRewards: gold must be a string or a finite number (the gold answer), found ${found}`,
      );
    }
    expect(() => groupRewards(["\\boxed{18}", null] as never, "18", fakeGrader)).toThrow(
      /groupRewards: responses\[1\] must be a string or \{ text, finishReason\? \}, found null/,
    );
    expect(() => groupRewards([{ completion: "\\boxed{18}" }] as never, "18", fakeGrader)).toThrow(
      /groupRewards: responses\[0\]: text must be a string, found nothing/,
    );
    expect(() => groupRewards("\\boxed{18}" as never, "18", fakeGrader)).toThrow(
      /groupRewards: responses must be an array, found the string/,
    );
  });

  it("takes { text, finishReason }: a truncated response gets the no-answer reward, as in curation", () => {
    const r = groupRewards(
      [
        { text: "\\boxed{18}", finishReason: "length" },
        { text: "\\boxed{18}", finishReason: "stop" },
        "\\boxed{18}",
      ],
      "18",
      verifierGrader,
      { noAnswer: -1 },
    );
    expect(r.verdicts).toEqual(["no-answer", "correct", "correct"]);
    expect(r.rewards).toEqual([-1, 1, 1]);
    // The cut-off reply's box is not its answer: a majority vote over `extracted` must not count it.
    expect(r.extracted).toEqual([null, "18", "18"]);
    expect(() => groupRewards([{ text: "x", finishReason: "eos" }] as never, "18", fakeGrader)).toThrow(
      /responses\[0\]: finishReason must be "stop" or "length", found the string "eos"/,
    );
  });

  it("grades like gradeRollouts: a wrong verdict with no extracted answer (verifier timeout) is no-answer", () => {
    const grader = (text: string) =>
      text === "slow"
        ? { verdict: "wrong" as const, extracted: null, reason: "budget-exceeded" }
        : fakeGrader(text, "18");
    expect(groupRewards(["slow", "\\boxed{17}"], "18", grader, { noAnswer: -1 }).rewards).toEqual([-1, 0]);
  });
});
