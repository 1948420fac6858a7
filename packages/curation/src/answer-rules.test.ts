import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ALL_EXTRACTION_RULES } from "@ssb/verifier";
import { afterEach, describe, expect, it } from "vitest";
import { problemOfRequest, ScriptedGenerator } from "../test/fakes.js";
import type { PairRecord } from "./pair-record.js";
import type { Problem, Rollout } from "./records.js";
import { runCuration } from "./run-curation.js";
import { checkAnswerRules } from "./verifier-defaults.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "ssb-answer-rules-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

// Rollouts sampled with R1-Zero's prompt: the answer is in an <answer> block, never boxed.
const problems: Problem[] = [
  { id: "p1", question: "What is 3 * 6?", answer: "18" },
  { id: "p2", question: "What is 2 + 2?", answer: "4" },
];
const tagged = (problemId: string, sampleIndex: number, answer: string): Rollout => ({
  problemId,
  sampleIndex,
  text: `<think>\nLet me work it out.\n</think>\n<answer>${answer}</answer>`,
  finishReason: "stop",
});
const rollouts: Rollout[] = [
  tagged("p1", 0, "18"),
  tagged("p1", 1, "9"),
  tagged("p1", 2, "9"),
  tagged("p2", 0, "4"),
  tagged("p2", 1, "5"),
];
const runJson = (out: string) =>
  JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as { settings: Record<string, unknown> };
const quiet = { warn: () => {} };

describe("runCuration answerRules", () => {
  it("grades answer blocks with boxed,answer-tag, where the default boxed-only grader finds no answer", async () => {
    const boxedOnly = await runCuration({ problems, rollouts, outDir: tmp(), ...quiet });
    expect(boxedOnly.summary.selected).toBe(0);
    expect(boxedOnly.summary.dropped.byReason).toEqual({ "no-answers": 2 });

    const out = tmp();
    const r = await runCuration({
      problems,
      rollouts,
      outDir: out,
      config: { answerRules: ["boxed", "answer-tag"] },
      ...quiet,
    });
    expect(r.summary.selected).toBe(2);
    expect(runJson(out).settings.grader).toBe("@ssb/verifier rules boxed,answer-tag");
    const prompt = JSON.parse(readFileSync(r.files.prompts, "utf8").split("\n")[0]!) as {
      chosenWrong: { answer: string; count: number };
    };
    expect(prompt.chosenWrong).toMatchObject({ answer: "9", count: 2 });
  });

  it("grades the teacher's replies with the same rules", async () => {
    const out = tmp();
    const gold = new Map(problems.map((p) => [p.id, p.answer]));
    const generator = new ScriptedGenerator((req) => ({
      text: `<think>\nCarefully.\n</think>\n<answer>${gold.get(problemOfRequest(req))}</answer>`,
    }));
    const r = await runCuration({
      problems,
      rollouts,
      outDir: out,
      generator,
      config: { answerRules: ["boxed", "answer-tag"] },
      ...quiet,
    });
    expect(r.summary.kept).toBe(2);
    const pair = JSON.parse(readFileSync(r.files.pairs, "utf8").split("\n")[0]!) as PairRecord;
    expect(pair.teacherAnswer).toBe("18");
  });

  it("pins the rules: a resume with other rules, or with the default, is refused naming both", async () => {
    const out = tmp();
    const config = { answerRules: ["boxed", "answer-tag"] as const };
    await runCuration({ problems: problems.slice(0, 1), rollouts, outDir: out, config, ...quiet });
    await expect(
      runCuration({ problems, rollouts, outDir: out, config: { answerRules: ["answer-tag"] }, ...quiet }),
    ).rejects.toThrow(
      'holds a run with grader="@ssb/verifier rules boxed,answer-tag", but this run has grader="@ssb/verifier rules answer-tag"',
    );
    await expect(runCuration({ problems, rollouts, outDir: out, ...quiet })).rejects.toThrow(
      'holds a run with grader="@ssb/verifier rules boxed,answer-tag", but this run has grader="@ssb/verifier"',
    );
    // The same rules resume.
    const r = await runCuration({ problems, rollouts, outDir: out, config, ...quiet });
    expect(r.skipped).toBe(1);
  });

  it("writes the same run.json for answerRules ['boxed'] as for none, and resumes either from the other", async () => {
    const [a, b] = [tmp(), tmp()];
    await runCuration({ problems, rollouts, outDir: a, ...quiet });
    await runCuration({ problems, rollouts, outDir: b, config: { answerRules: ["boxed"] }, ...quiet });
    const runA = readFileSync(join(a, "run.json"), "utf8");
    expect(readFileSync(join(b, "run.json"), "utf8")).toBe(runA);
    expect(runJson(a).settings.grader).toBe("@ssb/verifier");
    await runCuration({ problems, rollouts, outDir: a, config: { answerRules: ["boxed"] }, ...quiet });
    expect(readFileSync(join(a, "run.json"), "utf8")).toBe(runA);
  });

  it("refuses unknown, repeated or no rules, and rules beside a custom grader, before making the folder", async () => {
    const valid = `valid rules: ${ALL_EXTRACTION_RULES.join(", ")}`;
    const cases: [unknown, string][] = [
      [
        ["boxed", "bxoed"],
        `runCuration: option "answerRules": unknown rule "bxoed", did you mean "boxed"? (${valid})`,
      ],
      [["boxed", "boxed"], 'runCuration: option "answerRules": rule "boxed" is given twice'],
      [
        [],
        `runCuration: option "answerRules" must be a non-empty list of extraction rules (${valid}), found an empty list`,
      ],
      [
        "boxed",
        `runCuration: option "answerRules" must be a non-empty list of extraction rules (${valid}), found the string "boxed"`,
      ],
    ];
    for (const [answerRules, message] of cases) {
      const out = join(tmp(), "out");
      await expect(
        runCuration({
          problems,
          rollouts,
          outDir: out,
          config: { answerRules: answerRules as ["boxed"] },
          ...quiet,
        }),
      ).rejects.toThrow(message);
      expect(existsSync(out)).toBe(false);
    }
    const out = join(tmp(), "out");
    await expect(
      runCuration({
        problems,
        rollouts,
        outDir: out,
        config: {
          answerRules: ["answer-tag"],
          grader: () => ({ verdict: "wrong", extracted: "1", reason: "" }),
        },
        ...quiet,
      }),
    ).rejects.toThrow('runCuration: options "answerRules" and "grader" are both given');
    expect(existsSync(out)).toBe(false);
  });

  it("checkAnswerRules returns the rules as given, in their order", () => {
    expect(checkAnswerRules(["answer-tag", "boxed"], "x")).toEqual(["answer-tag", "boxed"]);
    expect(() => checkAnswerRules([7], "x")).toThrow("x: unknown rule number 7");
  });

  it("an empty rule name (a stray comma in a list) is named as such, not as an unknown rule", () => {
    for (const rules of [[""], ["boxed", ""], ["boxed", " "]])
      expect(() => checkAnswerRules(rules, "x")).toThrow(
        /^x: empty rule name \(a stray comma\?\); valid rules: boxed, /,
      );
  });
});
