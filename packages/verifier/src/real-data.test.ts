import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { isEquivalent } from "./equivalence.js";
import { extractAnswer } from "./extract.js";
import { grade } from "./grade.js";

const dataDir = fileURLToPath(new URL("../../../data/", import.meta.url));

function readJsonl<T>(relative: string): T[] {
  return readFileSync(dataDir + relative, "utf8")
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as T);
}

interface MathRow {
  solution: string;
  answer: string;
  unique_id: string;
}
interface GsmRow {
  question: string;
  answer: string;
}
interface AimeRow {
  id: number;
  answer: string;
}

describe("MATH500: the answer boxed in each solution grades equal to the answer field", () => {
  const rows = readJsonl<MathRow>("math500/test.jsonl");

  it("has 500 rows", () => expect(rows).toHaveLength(500));

  it("grades 500 / 500 correct", () => {
    const failures = rows
      .map((row) => ({ id: row.unique_id, answer: row.answer, result: grade(row.solution, row.answer) }))
      .filter((r) => !r.result.correct)
      .map(
        (r) =>
          `${r.id}: gold ${JSON.stringify(r.answer)}, extracted ${JSON.stringify(r.result.extracted)} (${r.result.reason})`,
      );
    expect(failures).toEqual([]);
  });

  it("extracts with the boxed rule every time", () => {
    const rules = new Set(rows.map((row) => extractAnswer(row.solution)?.rule));
    expect([...rules]).toEqual(["boxed"]);
  });

  it("does not accept a neighbouring problem's answer (the check can fail)", () => {
    let accepted = 0;
    for (let i = 0; i < rows.length; i++) {
      const other = rows[(i + 1) % rows.length] as MathRow;
      const mine = rows[i] as MathRow;
      if (grade(mine.solution, other.answer).correct) accepted++;
    }
    // Neighbouring MATH500 answers coincide only by chance (both "2", say): a handful at most.
    expect(accepted).toBeLessThan(15);
  });
});

describe("MATH500: distinct gold answers are different answers", () => {
  /**
   * The pairs of distinct gold strings that are the same answer written differently, or equal by a documented
   * rule (units and degree marks are dropped; a bare number matches a base numeral's digits; a tuple matches
   * the same numbers in order without parentheses). Any other pair judged equal is a false positive that would
   * count a wrong answer right. [a, b, why].
   */
  const SAME: [string, string, string][] = [
    ["1,-2", "-2,1", "a list of solutions is order-free"],
    ["(-2,1)", "-2,1", "a tuple without its parentheses"],
    ["10,\\!080", "10080", "thousands separator"],
    ["120", "120^\\circ", "degree mark"],
    ["15", "15\\mbox{ cm}^2", "unit"],
    ["2 \\sqrt{5}", "2\\sqrt{5}", "spacing"],
    ["30", "30^\\circ", "degree mark"],
    ["36", "36^\\circ", "degree mark"],
    ["36", "\\$36", "currency"],
    ["36^\\circ", "\\$36", "both lose their unit: 36"],
    ["40", "40_9", "a bare number matches a base numeral's digits"],
    ["5", "x=5", "an equation naming the answer"],
    ["90", "90^\\circ", "degree mark"],
    ["\\frac14", "\\frac{1}{4}", "fraction shorthand"],
  ];
  const golds = [...new Set(readJsonl<MathRow>("math500/test.jsonl").map((row) => row.answer))];

  it("judges equal only the known pairs, either way round", () => {
    const equal: string[] = [];
    for (let i = 0; i < golds.length; i++) {
      for (let j = i + 1; j < golds.length; j++) {
        const [a, b] = [golds[i] as string, golds[j] as string].sort() as [string, string];
        if (isEquivalent(a, b) || isEquivalent(b, a)) equal.push(JSON.stringify([a, b]));
      }
    }
    expect(equal.sort()).toEqual(SAME.map(([a, b]) => JSON.stringify([a, b].sort())).sort());
  });
});

describe("GSM8K (train + test): the #### answer", () => {
  const rows = [...readJsonl<GsmRow>("gsm8k/train.jsonl"), ...readJsonl<GsmRow>("gsm8k/test.jsonl")];

  it("has 8,792 rows", () => expect(rows).toHaveLength(8792));

  it("is extracted by the gsm8k rule and grades equal to itself, boxed, and with thousands separators", () => {
    const failures: string[] = [];
    rows.forEach((row, i) => {
      const extraction = extractAnswer(row.answer);
      if (!extraction || extraction.rule !== "gsm8k") {
        failures.push(`row ${i}: extraction ${JSON.stringify(extraction)}`);
        return;
      }
      const gold = extraction.answer;
      const value = Number(gold.replace(/,/g, ""));
      const withSeparators = value.toLocaleString("en-US");
      const checks: [string, string][] = [
        ["solution", row.answer],
        ["boxed", `The answer is therefore \\boxed{${gold}}.`],
        ["separators", `\\boxed{${withSeparators}}`],
        ["plain", `\\boxed{${String(value)}}`],
      ];
      for (const [label, response] of checks) {
        if (!grade(response, gold).correct) failures.push(`row ${i} (${label}): ${JSON.stringify(gold)}`);
      }
      if (grade(`\\boxed{${value + 1}}`, gold).correct) failures.push(`row ${i}: off-by-one accepted`);
    });
    expect(failures).toEqual([]);
  });
});

describe("AIME 2024", () => {
  const rows = readJsonl<AimeRow>("aime24/test.jsonl");

  it("has 30 rows with three-digit answers", () => {
    expect(rows).toHaveLength(30);
    for (const row of rows) expect(row.answer).toMatch(/^\d{3}$/);
  });

  it("answers grade equal to their integer form without leading zeros", () => {
    for (const row of rows) {
      const integer = String(Number(row.answer));
      expect(isEquivalent(integer, row.answer), `${row.id}: ${integer} vs ${row.answer}`).toBe(true);
      expect(grade(`So the answer is $\\boxed{${integer}}$.`, row.answer).correct).toBe(true);
      expect(isEquivalent(String(Number(row.answer) + 1), row.answer)).toBe(false);
    }
  });
});
