import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readProblemsFile } from "./problems-file.js";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-problems-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const file = async (name: string, text: string | Buffer): Promise<string> => {
  const f = path.join(work, name);
  await writeFile(f, text);
  return f;
};

describe("readProblemsFile", () => {
  it("reads ids, line-number ids, blank lines, CRLF, a byte order mark and a last line without newline", async () => {
    const text = '\ufeff{"question": "a?"}\r\n\r\n{"id": 7, "question": "b?"}\n{"id": "x", "question": "c?"}';
    const problems = readProblemsFile(await file("mixed.jsonl", text), "sys");
    expect(problems.map((p) => p.id)).toEqual(["1", "7", "x"]);
    expect(problems[0]?.messages).toEqual([
      { role: "system", content: "sys" },
      { role: "user", content: "a?" },
    ]);
  });

  it("reads a file larger than one read chunk, line by line, and stops at the limit", async () => {
    // ~3 MiB: lines cross the 1 MiB chunk edges, and one holds a multi-byte character across an edge.
    const lines = Array.from({ length: 30_000 }, (_, i) =>
      JSON.stringify({ id: `q${i}`, question: `${"é".repeat(i % 90)} ${i}?` }),
    );
    const f = await file("big.jsonl", `${lines.join("\n")}\n`);
    const all = readProblemsFile(f);
    expect(all).toHaveLength(30_000);
    expect(all[29_999]?.messages?.[0]?.content).toBe(`${"é".repeat(29_999 % 90)} 29999?`);
    expect(readProblemsFile(f, undefined, 5).map((p) => p.id)).toEqual(["q0", "q1", "q2", "q3", "q4"]);
  });

  it("with a limit, does not read past it (a malformed line after the limit is not an error)", async () => {
    const f = await file(
      "mal3.jsonl",
      '{"id": "a", "question": "q"}\n{"id": "b", "question": "r"}\n{"id": \n',
    );
    expect(readProblemsFile(f, undefined, 2).map((p) => p.id)).toEqual(["a", "b"]);
    expect(() => readProblemsFile(f, undefined, 3)).toThrow(/mal3\.jsonl:3:8: not valid JSON/);
  });

  it("refuses a teacher-prompts file, saying to use --teacher-prompts", async () => {
    const line = {
      problemId: "a",
      gold: "2",
      template: "ssb-default",
      messages: [{ role: "user", content: "1+1? Correct: 2" }],
      studentMessages: [{ role: "user", content: "1+1?" }],
      requests: [{ id: "a#1", sampling: { temperature: 0.4, topK: 50, seed: 1 } }],
    };
    const f = await file("tp.jsonl", `${JSON.stringify(line)}\n`);
    expect(() => readProblemsFile(f)).toThrow(
      /tp\.jsonl:1: this looks like a teacher-prompts file \("problemId" and "requests", as ssb-curate writes it\), not problems: use --teacher-prompts FILE/,
    );
  });

  it("names the file and line of a bad record, and refuses a file with no problems", async () => {
    const bad = await file("bad.jsonl", '{"id": "a", "question": "q"}\n{"id": "a", "question": "r"}\n');
    expect(() => readProblemsFile(bad)).toThrow(
      /bad\.jsonl:2: duplicate problem id "a" \(first at .*bad\.jsonl:1\); ids must be unique/,
    );
    const broken = await file("broken.jsonl", '{"id": "a", "question": "q"}\n{"id": \n');
    expect(() => readProblemsFile(broken)).toThrow(/broken\.jsonl:2:8: not valid JSON/);
    const empty = await file("empty.jsonl", "\n\n");
    expect(() => readProblemsFile(empty)).toThrow(/empty\.jsonl: no problems in the file/);
    expect(() => readProblemsFile(path.join(work, "missing.jsonl"))).toThrow(
      /missing\.jsonl: cannot read problems/,
    );
  });
});
