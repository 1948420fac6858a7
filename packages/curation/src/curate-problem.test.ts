import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fakeEquivalence, fakeGrader, rollout, rollouts } from "../test/fakes.js";
import { curateProblem, type SelectionConfig } from "./curate-problem.js";
import type { Problem } from "./records.js";
import { runCuration } from "./run-curation.js";
import { runTeacherStep } from "./teacher-step.js";

const problem: Problem = { id: "p1", question: "What is 3 + 4?", answer: "7" };
const mixed = rollouts("p1", ["7", "5", "5", "7"]);
const base: SelectionConfig = { grader: fakeGrader, equivalence: fakeEquivalence, seed: 3 };
// Configs typed loosely on purpose: JavaScript callers and config files pass anything.
const curate = (extra: Record<string, unknown>, rs = mixed) =>
  curateProblem(problem, rs, { ...base, ...extra } as SelectionConfig);

function promptOf(result: ReturnType<typeof curateProblem>) {
  if (!("prompt" in result)) throw new Error("expected a selected problem");
  return result.prompt;
}

describe("curateProblem teacherSampling", () => {
  it("reads undefined as the default instead of wiping it", () => {
    const sampling = promptOf(curate({ teacherSampling: { temperature: undefined, topK: undefined } }))
      .requests[0]!.sampling;
    expect(sampling.temperature).toBe(0.4);
    expect(sampling.topK).toBe(50);
    expect(promptOf(curate({ teacherSampling: { temperature: 0.9 } })).requests[0]!.sampling).toMatchObject({
      temperature: 0.9,
      topK: 50,
    });
  });

  it("refuses unknown keys and wrong types, naming the field", () => {
    expect(() => curate({ teacherSampling: { temprature: 0.9 } })).toThrow(
      /curateProblem: unknown option "teacherSampling" key "temprature" \(known: temperature, topK, topP, maxNewTokens, seed\)/,
    );
    expect(() => curate({ teacherSampling: { temperature: "0.9" } })).toThrow(
      /curateProblem: option "teacherSampling.temperature" must be a finite number >= 0, found the string "0.9"/,
    );
    expect(() => curate({ teacherSampling: { topK: 2.5 } })).toThrow(
      /"teacherSampling.topK" must be an integer >= 0/,
    );
    expect(() => curate({ teacherSampling: { topP: 0 } })).toThrow(
      /"teacherSampling.topP" must be a number > 0/,
    );
    expect(() => curate({ teacherSampling: { maxNewTokens: 0 } })).toThrow(/"teacherSampling.maxNewTokens"/);
    expect(() => curate({ teacherSampling: { seed: -1 } })).toThrow(/"teacherSampling.seed"/);
  });

  it("runTeacherStep checks its sampling the same way", async () => {
    const generator = { generate: async function* () {} };
    await expect(
      runTeacherStep([], generator, { grader: fakeGrader, sampling: { temprature: 1 } as never }),
    ).rejects.toThrow(/runTeacherStep: unknown option "sampling" key "temprature"/);
  });
});

describe("curateProblem rollouts", () => {
  it("refuses another problem's rollout, naming both problems and the sample", () => {
    expect(() => curate({}, [...mixed, rollout("p2", 9, "7")])).toThrow(
      /curateProblem: problem "p1": the rollout with sampleIndex 9 belongs to problem "p2"/,
    );
  });

  it("refuses a repeated or missing sampleIndex", () => {
    expect(() => curate({}, [...mixed, rollout("p1", 1, "5")])).toThrow(
      /curateProblem: problem "p1": sampleIndex 1 is given by two rollouts/,
    );
    const { sampleIndex: _, ...noIndex } = rollout("p1", 4, "5");
    expect(() => curate({}, [...mixed, noIndex as never])).toThrow(
      /curateProblem: problem "p1": rollout 4 .* needs a sampleIndex that is an integer >= 0, found nothing/,
    );
    expect(() => curate({}, [{ ...rollout("p1", 4, "5"), sampleIndex: 1.5 }])).toThrow(/found number 1.5/);
  });
});

describe("selection options", () => {
  it("refuses unknown policies, naming the option and the valid values", () => {
    expect(() => curate({ correctChoice: "shortst" })).toThrow(
      /curateProblem: option "correctChoice" must be one of "first", "shortest", "random", found the string "shortst"/,
    );
    expect(() => curate({ wrongChoice: "last" })).toThrow(/option "wrongChoice"/);
    expect(() => curate({ tieBreak: "random" })).toThrow(
      /option "tieBreak" must be one of "seeded", "first", found the string "random"/,
    );
    expect(() => curate({ whenNoMajority: "keep" })).toThrow(/option "whenNoMajority"/);
    expect(() => curate({ requireMajorityCountAboveOne: "yes" })).toThrow(
      /option "requireMajorityCountAboveOne"/,
    );
  });

  it("refuses maxAttempts and thresholds that are not positive integers", () => {
    for (const bad of [0, -1, 2.5, Number.NaN, "2"]) {
      expect(() => curate({ maxAttempts: bad })).toThrow(
        /curateProblem: option "maxAttempts" must be an integer >= 1/,
      );
    }
    expect(() => curate({ minCorrect: Number.NaN })).toThrow(
      /option "minCorrect" must be an integer >= 1, found number NaN/,
    );
    expect(() => curate({ minWrong: 0 })).toThrow(/option "minWrong"/);
    expect(() => curate({ seed: -2 })).toThrow(/option "seed"/);
    expect(promptOf(curate({ maxAttempts: 3 })).requests.map((r) => r.id)).toEqual(["p1#1", "p1#2", "p1#3"]);
  });

  it("reads a number gold as its string, and names the problem and field of a gold that is neither", () => {
    const numbered = curateProblem({ ...problem, answer: 7 as never }, mixed, base);
    expect(numbered).toEqual(curateProblem(problem, mixed, base));
    expect(promptOf(numbered).gold).toBe("7");
    expect(() => curateProblem({ ...problem, answer: undefined as never }, mixed, base)).toThrow(
      'curateProblem: problem "p1": field "answer" must be the gold answer as a string (or a finite number), found nothing',
    );
    expect(() => curateProblem({ ...problem, answer: Number.NaN as never }, mixed, base)).toThrow(
      /field "answer" must be the gold answer as a string \(or a finite number\), found number NaN/,
    );
  });

  it("refuses a template that is not a TeacherTemplate, naming the option (the CLI's name given in code)", () => {
    // "exact" failed while rendering, with "Cannot read properties of undefined (reading 'replace')".
    expect(() => curate({ template: "exact" })).toThrow(
      'curateProblem: option "template" must be a TeacherTemplate { name, system, user }, found the string "exact"; resolveTemplate("exact") gives one',
    );
    expect(() => curate({ template: { user: "{{question}}" } })).toThrow(
      'curateProblem: option "template": field "name" must be a string, found nothing',
    );
    expect(() => curate({ template: { name: "t", system: "s", user: "Solve it." } })).toThrow(
      'curateProblem: option "template": the user prompt must contain {{question}}',
    );
    expect(promptOf(curate({ template: { name: "t", system: "s", user: "Q: {{question}}" } })).template).toBe(
      "t",
    );
  });
});

describe("runCuration settings", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("refuses a bad setting before it writes anything", async () => {
    const root = mkdtempSync(join(tmpdir(), "curate-settings-"));
    dirs.push(root);
    const outDir = join(root, "out");
    for (const config of [
      { maxAttempts: 0 },
      { tieBreak: "random" },
      { batchSize: 0 },
      { rejectTruncated: 1 },
      { template: "exact" },
    ]) {
      await expect(
        runCuration({ problems: [problem], rollouts: mixed, outDir, config: config as never }),
      ).rejects.toThrow(/runCuration: option "(maxAttempts|tieBreak|batchSize|rejectTruncated|template)"/);
    }
    expect(readdirSync(root)).toEqual([]);
  });
});
