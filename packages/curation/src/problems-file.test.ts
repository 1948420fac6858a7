import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { gsm8kGold, parseProblem } from "./parse-records.js";
import { readProblemsFile } from "./problems-file.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const file = (text: string): string => {
  const dir = mkdtempSync(join(tmpdir(), "ssb-problems-"));
  dirs.push(dir);
  const path = join(dir, "problems.jsonl");
  writeFileSync(path, text);
  return path;
};

const jsonl = (rows: unknown[]): string => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;

const GSM8K_TRAIN = join(import.meta.dirname, "../../../data/gsm8k/train.jsonl");

describe("readProblemsFile", () => {
  it("reads GSM8K's own lines: the line number as id, the gold after ####", async () => {
    // The first three lines of the shipped GSM8K train split, a blank line, and the fourth.
    const lines = readFileSync(GSM8K_TRAIN, "utf8").split("\n").slice(0, 4);
    const path = file(`${lines.slice(0, 3).join("\n")}\n\n${lines[3]}\n`);
    const problems = await readProblemsFile(path);
    expect(problems.map((p) => [p.id, p.answer])).toEqual([
      ["1", "72"],
      ["2", "10"],
      ["3", "5"],
      ["5", "42"], // numbered by line, as ssb-rollout numbers them: the blank line 4 counts
    ]);
    expect(problems[0]?.question).toMatch(/^Natalia sold clips to 48 of her friends in April/);
  });

  it("keeps given ids and plain answers, and names the line of a bad record", async () => {
    const path = file(
      `${JSON.stringify({ id: "a", question: "q", answer: "1,000" })}\n${JSON.stringify({ id: 7, question: "q", answer: 3 })}\n`,
    );
    expect(await readProblemsFile(path)).toEqual([
      { id: "a", question: "q", answer: "1,000" },
      { id: "7", question: "q", answer: "3" },
    ]);
    const bad = file(`${JSON.stringify({ question: "q", answer: "so #### " })}\n`);
    await expect(readProblemsFile(bad)).rejects.toThrow(new RegExp(`${bad}:1: field "answer" is empty`));
    // A blank question is refused as ssb-rollout refuses it (it reached the teacher as an empty problem).
    const blank = file(
      `${JSON.stringify({ id: "a", question: "q", answer: "1" })}\n${JSON.stringify({ id: "b", question: " \n", answer: "1" })}\n`,
    );
    await expect(readProblemsFile(blank)).rejects.toThrow(
      new RegExp(`${blank}:2: field "question" is empty$`),
    );
    const noQuestion = file(`{"answer": "1"}\n{"question": 5, "answer": "1"}\n`);
    await expect(readProblemsFile(noQuestion)).rejects.toThrow(
      new RegExp(`${noQuestion}:1: field "question" must be a string`),
    );
  });

  it("names the file and both lines of a duplicate problem id", async () => {
    const path = file(
      jsonl([
        { id: "a", question: "q", answer: "1" },
        { id: "b", question: "q", answer: "2" },
        { id: "a", question: "other", answer: "3" },
      ]),
    );
    await expect(readProblemsFile(path)).rejects.toThrow(
      `${path}:3: duplicate problem id "a" (first on line 1)`,
    );
    // GSM8K lines numbered by line cannot collide with each other, only with a given id of the same text.
    const numbered = file(
      `${JSON.stringify({ id: "2", question: "q", answer: "1" })}\n${JSON.stringify({ question: "q", answer: "1" })}\n`,
    );
    await expect(readProblemsFile(numbered)).rejects.toThrow(
      `${numbered}:2: duplicate problem id "2" (first on line 1)`,
    );
  });

  it("parseProblem without a fallback still needs an id", () => {
    expect(() => parseProblem({ question: "q", answer: "1" }, "p.jsonl:2")).toThrow(
      /p\.jsonl:2: field "id" must be a non-empty string/,
    );
    expect(parseProblem({ question: "q", answer: "1" }, "p.jsonl:2", "2").id).toBe("2");
  });

  it("takes the text after the last #### as a GSM8K gold", () => {
    expect(gsm8kGold("3 + 4 = <<3+4=7>>7\n#### 7")).toBe("7");
    expect(gsm8kGold("a #### 1 #### 2 ")).toBe("2");
    expect(gsm8kGold("72")).toBeNull();
  });
});
