import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readTeacherPromptsFile } from "./teacher-prompts-file.js";

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-teacher-prompts-"));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const file = async (name: string, text: string): Promise<string> => {
  const f = path.join(work, name);
  await writeFile(f, text);
  return f;
};

/** A line as @ssb/curation's teacher-prompts.jsonl holds it (fields generation does not read included). */
const line = (problemId: string): string =>
  JSON.stringify({
    problemId,
    gold: "2",
    template: "ssb-default",
    messages: [{ role: "user", content: "1+1? Correct: 2" }],
    studentMessages: [{ role: "user", content: "1+1?" }],
    requests: [{ id: `${problemId}#1`, sampling: { temperature: 0.4, topK: 50, seed: 1 } }],
  });

describe("readTeacherPromptsFile", () => {
  it("with a limit, does not read past it (a malformed line after the limit is not an error)", async () => {
    const f = await file("mal3.jsonl", `${line("a")}\n${line("b")}\n{"problemId": \n`);
    expect(readTeacherPromptsFile(f, 2).map((p) => p.problemId)).toEqual(["a", "b"]);
    expect(() => readTeacherPromptsFile(f)).toThrow(/mal3\.jsonl:3:15: not valid JSON/);
  });

  it("refuses a problems file, saying to use --problems", async () => {
    const f = await file("ho.jsonl", '{"id": "a", "question": "1+1?"}\n');
    expect(() => readTeacherPromptsFile(f)).toThrow(
      /ho\.jsonl:1: this looks like a problems file \("id" \/ "question"\), not teacher prompts .*: use --problems FILE/,
    );
    const noId = await file("noid.jsonl", '{"question": "1+1?", "answer": "2"}\n');
    expect(() => readTeacherPromptsFile(noId)).toThrow(/noid\.jsonl:1: this looks like a problems file/);
  });

  it("names both lines of a repeated request id", async () => {
    const f = await file("dup.jsonl", `${line("a")}\n${line("a")}\n`);
    expect(() => readTeacherPromptsFile(f)).toThrow(
      /dup\.jsonl:2: request id "a#1" appears twice \(first at .*dup\.jsonl:1\)/,
    );
  });
  it("refuses a request's sampling out of range when the file is read, naming the line and the request", async () => {
    const bad = (sampling: Record<string, unknown>): string =>
      JSON.stringify({
        problemId: "b",
        messages: [{ role: "user", content: "1+1?" }],
        requests: [{ id: "b#1", sampling: { temperature: 0.4, topK: 50, seed: 1, ...sampling } }],
      });
    for (const [sampling, message] of [
      [{ temperature: -1 }, 'requests[0].sampling: "temperature" must be a number >= 0, found -1'],
      [{ topK: 2.5 }, 'requests[0].sampling: "topK" must be an integer >= 0, found 2.5'],
      [{ topP: 1.5 }, 'requests[0].sampling: "topP" must be in (0, 1], found 1.5'],
      [{ maxNewTokens: 0 }, 'requests[0].sampling: "maxNewTokens" must be an integer >= 1, found 0'],
      [{ seed: -1 }, 'requests[0].sampling: "seed" must be an integer in [0, 2^53), found -1'],
      [{ seed: 1.5 }, 'requests[0].sampling: "seed" must be an integer in [0, 2^53), found 1.5'],
      [
        { top_p: 0.9 },
        'requests[0].sampling: unknown key "top_p" (did you mean "topP"?); known keys: temperature, topK, topP, maxNewTokens, seed',
      ],
    ] as const) {
      const f = await file("range.jsonl", `${line("a")}\n${bad(sampling)}\n`);
      expect(() => readTeacherPromptsFile(f)).toThrow(`${f}:2: ${message}`);
    }
  });
});
