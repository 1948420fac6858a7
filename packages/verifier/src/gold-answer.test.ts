import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { goldFinalAnswer } from "./gold-answer.js";
import { grade } from "./grade.js";
import { accuracyReward } from "./reward.js";

const dataDir = fileURLToPath(new URL("../../../data/", import.meta.url));

function readJsonl<T>(relative: string): T[] {
  return readFileSync(dataDir + relative, "utf8")
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as T);
}

describe("a gold written as a worked solution is graded by its final answer", () => {
  it("GSM8K's own answer field (`... #### 72`): every test row's final answer grades correct, + 1 wrong", () => {
    const rows = readJsonl<{ answer: string }>("gsm8k/test.jsonl");
    expect(rows).toHaveLength(1319);
    const failures = rows.filter((row) => {
      const final = (row.answer.split("####").pop() as string).trim().replace(/,/g, "");
      const right = grade(`so the answer is \\boxed{${final}}`, row.answer);
      const wrong = grade(`so the answer is \\boxed{${Number(final) + 1}}`, row.answer);
      return !right.correct || wrong.correct;
    });
    expect(failures.map((row) => row.answer.slice(-30))).toEqual([]);
  });

  it("MATH500's solution field (`... \\boxed{}`): every row's answer grades correct against it", () => {
    const rows = readJsonl<{ solution: string; answer: string }>("math500/test.jsonl");
    expect(rows).toHaveLength(500);
    const failures = rows.filter((row) => !grade(`\\boxed{${row.answer}}`, row.solution).correct);
    expect(failures.map((row) => row.answer)).toEqual([]);
  });

  it("reads the text after the last ####, the final box group, and leaves final answers alone", () => {
    expect(goldFinalAnswer("48/2 = <<48/2=24>>24 clips\n#### 1,080")).toBe("1,080");
    expect(goldFinalAnswer("so $x = \\boxed{1}$ or $x = \\boxed{-2}$.")).toBe("1, -2");
    expect(goldFinalAnswer("\\frac{14}{3}")).toBe("\\frac{14}{3}");
    expect(goldFinalAnswer("")).toBe("");
    expect(grade("\\boxed{-2, 1}", "so $x = \\boxed{1}$ or $x = \\boxed{-2}$.").correct).toBe(true);
    expect(grade("\\boxed{72}", "Natalia sold 48 + 24 = 72 clips.\n#### 72").normalizedGold).toBe("72");
  });

  it("accuracyReward on a GSM8K dataset's own answer column", () => {
    const reward = accuracyReward();
    const rewards = reward({
      completions: ["... \\boxed{72}", "... \\boxed{71}"],
      answer: ["Natalia sold 48/2 = <<48/2=24>>24 clips.\n#### 72", "She has 72.\n#### 72"],
    });
    expect(rewards).toEqual([1, 0]);
  });
});
