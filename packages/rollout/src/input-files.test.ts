/** The problem files users bring from elsewhere, and what ssb-rollout says about each (an inputs audit). */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseProblemRecord, readProblemsFile } from "./problems-file.js";

const dir = mkdtempSync(join(tmpdir(), "ssb-rollout-inputs-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

describe("problems files from elsewhere", () => {
  it("an id past 2^53 is refused with its digits, not rounded into a 'duplicate problem id'", () => {
    const path = file(
      "big.jsonl",
      '{"id": 12345678901234567891, "question": "a"}\n{"id": 12345678901234567892, "question": "b"}\n',
    );
    expect(() => readProblemsFile(path)).toThrow(
      `${path}:1: field "id" is the integer 12345678901234567891 (read as 12345678901234567000), too large for a JSON number to hold exactly (past 2^53, JSON readers round it); write it as a string: "id": "12345678901234567891"`,
    );
    expect(() => parseProblemRecord({ id: 2 ** 53, question: "a" }, "p:1")).toThrow(
      /^p:1: field "id" is the integer 9007199254740992/,
    );
    expect(parseProblemRecord({ id: 2 ** 53 - 1, question: "a" }, "p:1").id).toBe("9007199254740991");
  });

  it("a line with two prompt fields, empty messages or a blank question is refused, naming the line", () => {
    const both = file(
      "both.jsonl",
      '{"id": "a", "question": "q"}\n{"id": "b", "question": "q", "messages": [{"role": "user", "content": "q"}]}\n',
    );
    expect(() => readProblemsFile(both, "Be brief.")).toThrow(
      `${both}:2: holds "question" and "messages"; a problem's prompt is one of "question" (given the system turn), "messages" or "promptIds" (used as they are): keep the one meant (jq -c 'del(.messages)' FILE > NEW drops "messages")`,
    );
    expect(() =>
      parseProblemRecord({ id: "a", messages: [{ role: "user", content: "q" }], promptIds: [1] }, "p:3"),
    ).toThrow(/^p:3: holds "messages" and "promptIds"/);
    expect(() => parseProblemRecord({ id: "a", messages: [] }, "p:4")).toThrow(
      'p:4: "messages" is empty; a prompt needs at least one {role, content}',
    );
    expect(() => parseProblemRecord({ id: "a", question: " " }, "p:5")).toThrow(
      'p:5: field "question" is empty',
    );
    expect(() => parseProblemRecord({ id: "a", question: 5 }, "p:6")).toThrow(
      'p:6: needs "question" (string), "messages" or "promptIds"; "question" is the number 5',
    );
  });

  it("a prompt field that is null is no field (mixed files written through pandas or datasets)", () => {
    const path = file(
      "mixed-null.jsonl",
      '{"id": "a", "question": "q", "messages": null, "promptIds": null}\n{"id": "b", "question": null, "messages": [{"role": "user", "content": "r"}]}\n{"id": "c", "question": null, "promptIds": [1, 2]}\n',
    );
    expect(readProblemsFile(path, "sys").map((p) => [p.id, p.messages, p.promptIds])).toEqual([
      [
        "a",
        [
          { role: "system", content: "sys" },
          { role: "user", content: "q" },
        ],
        undefined,
      ],
      ["b", [{ role: "user", content: "r" }], undefined],
      ["c", undefined, [1, 2]],
    ]);
    expect(() => parseProblemRecord({ id: "d", question: null, messages: null }, "p:4")).toThrow(
      'p:4: needs "question" (string), "messages" or "promptIds"; "question" is null',
    );
  });

  it("an empty last user turn, or content given as a list of parts, is refused naming the message", () => {
    expect(() =>
      parseProblemRecord(
        {
          id: "a",
          messages: [
            { role: "system", content: "s" },
            { role: "user", content: " " },
          ],
        },
        "p:2",
      ),
    ).toThrow("p:2: the last message (messages[1], the user turn) is empty");
    expect(() =>
      parseProblemRecord(
        { id: "a", messages: [{ role: "user", content: [{ type: "text", text: "q" }] }] },
        "p:3",
      ),
    ).toThrow(
      "p:3: messages[0].content is a list (content parts?); a prompt's content must be a string: join the text parts",
    );
  });

  it("a message with tool calls is refused rather than rendered without them", () => {
    const call = { type: "function", function: { name: "add", arguments: { a: 2, b: 3 } } };
    const messages = [
      { role: "user", content: "2+3?" },
      { role: "assistant", content: "", tool_calls: [call] }, // was read as an empty assistant turn
      { role: "tool", content: "5" },
    ];
    expect(() => parseProblemRecord({ id: "a", messages }, "p:2")).toThrow(
      /^p:2: messages\[1\] has "tool_calls"; a problem's messages are read as role and content only/,
    );
  });

  it("a non-integer id is refused, as ssb-curate refuses it", () => {
    expect(() => parseProblemRecord({ id: 1.5, question: "a" }, "p:2")).toThrow(
      'p:2: field "id" is the number 1.5: an id must be a non-empty string or a whole number (write it as a string, "id": "1.5", to keep it)',
    );
  });

  it("a UTF-16 file (PowerShell's >) is named as such", () => {
    const path = file("u16.jsonl", Buffer.from('\uFEFF{"id": "a", "question": "q"}\r\n', "utf16le"));
    expect(() => readProblemsFile(path)).toThrow(`${path}: the file is UTF-16, not UTF-8`);
  });

  it("a byte-order mark in the middle (files joined with cat) is skipped", () => {
    const path = file(
      "cat.jsonl",
      '\uFEFF{"id": "a", "question": "q"}\n\uFEFF{"id": "b", "question": "q"}\n',
    );
    expect(readProblemsFile(path).map((p) => p.id)).toEqual(["a", "b"]);
  });

  it("a JSON array or a pretty-printed file is said to be not JSON Lines; NaN is named", () => {
    const array = file("a.json", '[{"id": "a", "question": "q"}]\n');
    expect(() => readProblemsFile(array)).toThrow(
      /a\.json:1: expected a JSON object, found an array; .*not JSON Lines.*jq -c '\.\[\]'/,
    );
    const pretty = file("p.json", '[\n  {"id": "a", "question": "q"}\n]\n');
    expect(() => readProblemsFile(pretty)).toThrow(
      /p\.json:1:2: not valid JSON .*not JSON Lines \(one JSON object per line\)/,
    );
    const nan = file("nan.jsonl", '{"id": "a", "question": "q", "answer": NaN}\n');
    expect(() => readProblemsFile(nan)).toThrow(
      /nan\.jsonl:1:\d+: not valid JSON \(.*NaN is not JSON: Python's json writes it/,
    );
  });

  it("MATH's and AIME's fields are named, with the renaming", () => {
    expect(() =>
      parseProblemRecord({ problem: "p", solution: "s", answer: "2" }, "m:1", undefined, "1"),
    ).toThrow(
      `m:1: needs "question" (string), "messages" or "promptIds"; this record has "problem", "solution", "answer" (MATH's fields): rename "problem" to "question"`,
    );
    // MATH500 as shipped (ssb-eval's copy): its unique_id becomes the id, so the rollouts match ssb-eval's problems.
    expect(() =>
      parseProblemRecord(
        {
          problem: "p",
          solution: "s",
          answer: "2",
          subject: "Algebra",
          level: 1,
          unique_id: "test/algebra/1.json",
        },
        "m:1",
        undefined,
        "1",
      ),
    ).toThrow(
      `rename "unique_id" to "id", "problem" to "question" (jq -c '. + {id: .unique_id, question: .problem} | del(.unique_id, .problem)' FILE > NEW)`,
    );
    expect(() =>
      parseProblemRecord({ ID: "2024-I-1", Problem: "p", Answer: 204 }, "a:1", undefined, "1"),
    ).toThrow(
      /this record has "ID", "Problem", "Answer" \(AIME's fields as on the Hugging Face Hub\): rename "ID" to "id", "Problem" to "question"/,
    );
  });
});
