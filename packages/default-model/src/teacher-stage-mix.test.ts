import { describe, expect, it } from "vitest";
import { buildTeacherStageMix } from "./teacher-stage-mix.js";
import { generateSplits } from "./word-problems.js";

const difficulty = { minSteps: 2, maxSteps: 3, maxStart: 12, maxOperand: 5 };
const { train, test } = generateSplits({ seed: 3, train: 300, test: 200, ...difficulty });
const heldOut = new Set(test.map((p) => p.question));
const options = { seed: 11, train, heldOut, difficulty, hard: 120, easy: 50, replay: 80 };

describe("teacher stage mix", () => {
  const { examples, hardProblems } = buildTeacherStageMix(options);

  it("holds hard teacher prompts, easy teacher prompts and student replay, never a held-out question", () => {
    expect(hardProblems).toHaveLength(120);
    const hard = examples.filter((e) => e.id.startsWith("hard-"));
    const easyTeacher = examples.filter((e) => !e.id.startsWith("hard-") && e.kind === "teacher");
    const replay = examples.filter((e) => e.kind !== "teacher");
    expect(hard.every((e) => e.kind === "teacher")).toBe(true);
    expect(hard.length).toBeGreaterThan(110); // a problem without a usual mistake has no teacher prompt
    expect(easyTeacher.length).toBeGreaterThan(45);
    expect(replay).toHaveLength(80);
    for (const p of hardProblems) expect(heldOut.has(p.question)).toBe(false);
    for (const e of examples) {
      const user = e.messages.find((m) => m.role === "user")?.content ?? "";
      for (const q of heldOut) expect(user.includes(q)).toBe(false);
    }
  });

  it("makes the hard problems harder: larger numbers than pre-training allowed", () => {
    const starts = hardProblems.map((p) => Number(/has (\d+)/.exec(p.question)?.[1] ?? 0));
    expect(Math.max(...starts)).toBeGreaterThan(difficulty.maxStart);
  });

  it("is seeded", () => {
    expect(buildTeacherStageMix(options).examples).toEqual(examples);
    expect(buildTeacherStageMix({ ...options, seed: 12 }).examples).not.toEqual(examples);
  });

  it("says when the training problems are too few", () => {
    expect(() => buildTeacherStageMix({ ...options, easy: 200, replay: 200 })).toThrow(
      /easy \(200\) \+ replay \(200\) exceed the 300 training problems/,
    );
  });
});
