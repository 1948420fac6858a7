import { describe, expect, it } from "vitest";
import { gradeJsonLine } from "./jsonl-grading.js";

const record = { id: "p1", response: "so \\boxed{42}", gold: "42" };

describe("gradeJsonLine on lines from files made elsewhere (ssb verify in @ssb/cli grades through it)", () => {
  it("reads a line that starts with a byte-order mark", () => {
    const graded = gradeJsonLine(`\uFEFF${JSON.stringify(record)}`, 1, "in.jsonl");
    expect(graded.ok && graded.result.correct).toBe(true);
  });

  it("says a line of a UTF-16 file is UTF-16, first line and later ones, LE and BE", () => {
    const text = `\uFEFF${JSON.stringify(record)}\r\n${JSON.stringify(record)}\r\n`;
    for (const bytes of [Buffer.from(text, "utf16le"), Buffer.from(text, "utf16le").swap16()]) {
      // As readline splits them (at \r and at \n): the NUL between a CRLF's two bytes is a line of its own.
      const lines = bytes.toString("utf8").split(/\r\n|\r|\n/);
      for (const [i, line] of lines.slice(0, 4).entries()) {
        const graded = gradeJsonLine(line, i + 1, "in.jsonl");
        expect(graded.ok ? "graded" : graded.error).toBe(
          `in.jsonl:${i + 1}: not valid JSON: the file is UTF-16, not UTF-8 (Windows PowerShell's ">" and Out-File write UTF-16); convert it first`,
        );
      }
    }
  });

  it("keeps the digits of an int64 id in the output line", () => {
    const graded = gradeJsonLine(
      '{"id": 12345678901234567891, "response": "\\\\boxed{1}", "gold": 1}',
      1,
      "in.jsonl",
    );
    expect(graded.ok && graded.text).toBe(
      '{"id": 12345678901234567891, "response": "\\\\boxed{1}", "gold": 1,"correct":true,"verdict":"correct","extracted":"1","rule":"boxed","reason":"equivalent"}',
    );
  });
});
