import { DEFAULT_TEMPLATE, MATH_TUTOR_SYSTEM_PROMPT } from "@ssb/curation";
import { describe, expect, it } from "vitest";
import { buildTrainingMix } from "./training-mix.js";
import { generateProblems } from "./word-problems.js";

const problems = generateProblems({ seed: 4, count: 1_000 });

describe("training mix", () => {
  const mix = buildTrainingMix(problems, { seed: 9 });

  it("has every problem once in the student format, with the requested share of usual mistakes", () => {
    const student = mix.filter((e) => e.kind !== "teacher");
    expect(student).toHaveLength(problems.length);
    const share = mix.filter((e) => e.kind === "student-mistake").length / problems.length;
    expect(share).toBeGreaterThan(0.25);
    expect(share).toBeLessThan(0.35);
    for (const e of mix.filter((x) => x.kind === "student-mistake")) {
      const problem = problems.find((p) => e.id.startsWith(`${p.id}/`));
      expect(e.reply).toBe(problem?.mistakes[0]?.solution);
    }
    expect(student[0]?.messages).toEqual([
      { role: "system", content: MATH_TUTOR_SYSTEM_PROMPT },
      { role: "user", content: problems[0]?.question },
    ]);
  });

  it("teacher examples show the correct and the usual wrong solution and answer with the correct one", () => {
    const teacher = mix.filter((e) => e.kind === "teacher");
    expect(teacher.length / problems.length).toBeGreaterThan(0.25);
    const e = teacher[0];
    const problem = problems.find((p) => e?.id.startsWith(`${p.id}/`));
    const user = e?.messages[1]?.content ?? "";
    expect(e?.messages[0]?.content).toBe(DEFAULT_TEMPLATE.system);
    expect(user).toContain(problem?.question);
    expect(user).toContain(problem?.solution);
    expect(user).toContain(problem?.mistakes[0]?.solution);
    expect(e?.reply).toBe(problem?.solution);
  });

  it("is seeded", () => {
    expect(buildTrainingMix(problems, { seed: 9 })).toEqual(mix);
    expect(buildTrainingMix(problems, { seed: 10 })).not.toEqual(mix);
  });
});
