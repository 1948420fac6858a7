import { grade } from "@ssb/verifier";
import { describe, expect, it } from "vitest";
import { generateProblems, generateSplits, type WordProblem } from "./word-problems.js";

/**
 * An independent reading of a question: each sentence pattern the generator writes, turned back into
 * arithmetic. It shares no code with the generator, so a bug there shows up as a mismatch here.
 */
function solveFromQuestion(question: string): number {
  const sentences = question.split(/(?<=[.?])\s+/);
  const first = /^\w+ has (\d+) \w+\.$/.exec(sentences[0] as string);
  if (!first) throw new Error(`cannot read the start of: ${question}`);
  let value = Number(first[1]);
  const rules: [RegExp, (v: number, m: RegExpExecArray) => number][] = [
    [/(?:finds|buys|gets) (\d+) more/, (v, m) => v + Number(m[1])],
    [/receives (\d+)/, (v, m) => v + Number(m[1])],
    [/(?:gives|loses|uses) (\d+)/, (v, m) => v - Number(m[1])],
    [/buys (\d+) \w+ with (\d+) \w+ in each/, (v, m) => v + Number(m[1]) * Number(m[2])],
    [/doubles/, (v) => v * 2],
    [/triples/, (v) => v * 3],
    [/equally among (\d+)/, (v, m) => v / Number(m[1])],
  ];
  for (const s of sentences.slice(1, -1)) {
    const rule = rules.map(([re, act]) => [re.exec(s), act] as const).find(([m]) => m !== null);
    if (!rule) throw new Error(`unknown sentence: ${s}`);
    value = rule[1](value, rule[0] as RegExpExecArray);
  }
  return value;
}

/** Every `a op b = c` in a solution, checked. */
function arithmeticLinesHold(solution: string): boolean {
  const pattern = /(\(?\d+(?: [+-] \d+)?\)?) ([+\-*/]) (\d+) = (\d+)/g;
  let all = true;
  for (const m of solution.matchAll(pattern)) {
    // `(29 + 4)` on the left of an order-of-operations slip: add its two terms first.
    const terms = (m[1] as string).replace(/[()]/g, "").split(" ");
    const a =
      terms.length === 3
        ? Number(terms[0]) + (terms[1] === "+" ? 1 : -1) * Number(terms[2])
        : Number(terms[0]);
    const b = Number(m[3]);
    const expected = m[2] === "+" ? a + b : m[2] === "-" ? a - b : m[2] === "*" ? a * b : a / b;
    if (expected !== Number(m[4])) all = false;
  }
  return all;
}

const problems: WordProblem[] = generateProblems({ seed: 11, count: 60 });

describe("word problem generator", () => {
  it("is seeded: the same seed gives the same problems, another seed others", () => {
    expect(generateProblems({ seed: 11, count: 60 })).toEqual(problems);
    expect(generateProblems({ seed: 12, count: 60 })[0]?.question).not.toBe(problems[0]?.question);
  });

  it.each(problems.map((p) => [p.id, p] as const))(
    "%s: the boxed answer is the true value and grades correct",
    (_id, p) => {
      const truth = solveFromQuestion(p.question);
      expect(String(truth)).toBe(p.answer);
      expect(p.solution.endsWith(`\\boxed{${truth}}.`)).toBe(true);
      expect(arithmeticLinesHold(p.solution)).toBe(true);
      expect(grade(p.solution, p.answer).verdict).toBe("correct");
      expect(p.steps).toBeGreaterThanOrEqual(2);
      expect(p.steps).toBeLessThanOrEqual(5);
    },
  );

  it("wrong solutions are wrong, in the way their kind says, and the verifier says so", () => {
    let count = 0;
    for (const p of problems) {
      for (const w of p.mistakes) {
        count++;
        expect(w.answer).not.toBe(p.answer);
        expect(grade(w.solution, p.answer).verdict).toBe("wrong");
        expect(grade(w.solution, w.answer).verdict).toBe("correct");
        // A sign slip or a wrong operation writes arithmetic that is itself right: the error is in the reading.
        expect(arithmeticLinesHold(w.solution)).toBe(true);
      }
    }
    expect(count).toBeGreaterThan(problems.length);
  });

  it("train and test splits are disjoint", () => {
    const { train, test } = generateSplits({ seed: 5, train: 3_000, test: 300 });
    const trainQuestions = new Set(train.map((p) => p.question));
    expect(test.filter((p) => trainQuestions.has(p.question))).toEqual([]);
    expect(new Set(test.map((p) => p.question)).size).toBe(300);
  });

  it("difficulty knobs bound the steps and the numbers", () => {
    const easy = generateProblems({
      seed: 3,
      count: 50,
      minSteps: 2,
      maxSteps: 2,
      maxStart: 10,
      maxOperand: 5,
    });
    for (const p of easy) {
      expect(p.steps).toBe(2);
      expect(Number(/has (\d+)/.exec(p.question)?.[1])).toBeLessThanOrEqual(10);
    }
  });
});
