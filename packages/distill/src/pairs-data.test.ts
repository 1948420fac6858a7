import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadCheckpoint, type ModelTokenizer } from "@ssb/model";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_DIR } from "../test/fixture.js";
import { loadPairExamples, loadSftExamples, readJsonl } from "./pairs-data.js";

let tokenizer: ModelTokenizer;
beforeAll(async () => {
  const checkpoint = await loadCheckpoint(FIXTURE_DIR, { tokenizer: true });
  await checkpoint.close();
  if (!checkpoint.tokenizer) throw new Error(`${FIXTURE_DIR}: no tokenizer`);
  tokenizer = checkpoint.tokenizer;
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "distill-pairs-"));
  dirs.push(dir);
  return dir;
}

const pair = (problemId: string): string =>
  JSON.stringify({
    problemId,
    studentMessages: [{ role: "user", content: `q ${problemId}` }],
    responseTokenIds: [65, 66],
    logitKey: null,
  });

/** A pairs file holding `lines` (one JSON record each). */
function pairsFile(lines: string[]): string {
  const file = path.join(tempDir(), "pairs.jsonl");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

describe("a pairs file holding the same pair twice", () => {
  it("is refused for KD, naming the file, the pair and both lines", async () => {
    const file = pairsFile([pair("p0"), pair("p1"), "", pair("p0")]);
    await expect(loadPairExamples(file, { tokenizer, promptMode: "raw" })).rejects.toThrow(
      `${file}: pair "p0" appears twice, on lines 1 and 4 (field "problemId")`,
    );
  });

  it("is refused for SFT on pair records too", async () => {
    const file = pairsFile([pair("p0"), pair("p0")]);
    await expect(loadSftExamples(file, tokenizer, "raw")).rejects.toThrow(
      `${file}: pair "p0" appears twice, on lines 1 and 2`,
    );
  });

  it("a file of distinct pairs loads every one", async () => {
    const file = pairsFile([pair("p0"), pair("p1")]);
    const examples = await loadPairExamples(file, { tokenizer, promptMode: "raw" });
    expect(examples.map((e) => e.id)).toEqual(["p0", "p1"]);
  });
});

describe("readJsonl on a bad path or line", () => {
  it("says a directory is a directory, naming it", async () => {
    const dir = tempDir();
    await expect(readJsonl(dir)).rejects.toThrow(`${dir}: is a directory, expected a JSONL file`);
  });

  it("says a missing file is missing, naming it", async () => {
    const file = path.join(tempDir(), "nope.jsonl");
    await expect(readJsonl(file)).rejects.toThrow(`${file}: no such file`);
  });

  it("names file:line of a line that is not JSON", async () => {
    const file = pairsFile([pair("p0"), '{"problemId": "p1",']);
    await expect(readJsonl(file)).rejects.toThrow(`${file}:2:20: not valid JSON`);
  });

  it("reads the files users bring as every ssb reader does: joined files, UTF-16, int64 ids", async () => {
    // Two files joined with cat: the second one's byte-order mark starts a line in the middle.
    const joined = pairsFile([pair("p0"), `\uFEFF${pair("p1")}`]);
    expect((await readJsonl(joined)).map((r) => r.record.problemId)).toEqual(["p0", "p1"]);
    const utf16 = path.join(tempDir(), "pairs.jsonl");
    writeFileSync(utf16, Buffer.from(`\uFEFF${pair("p0")}\n`, "utf16le"));
    await expect(readJsonl(utf16)).rejects.toThrow(`${utf16}: the file is UTF-16, not UTF-8`);
    const big = pairsFile([pair("p0").replace('"problemId":"p0"', '"problemId":12345678901234567891')]);
    await expect(readJsonl(big)).rejects.toThrow(
      /field "problemId" is the integer 12345678901234567891 .*write it as a string/,
    );
  });
});

describe("token ids outside the model's vocabulary", () => {
  const sft = (prompt: number[], response: number[]): string =>
    JSON.stringify({ promptTokenIds: prompt, responseTokenIds: response });

  it("SFT: a target id past the vocabulary (trained silently to loss 0 before) is refused with file:line", async () => {
    // 300 is the last reply token: a target only, never an input, so nothing downstream would notice it.
    const file = pairsFile([sft([10, 20], [30, 40]), sft([10, 20], [30, 300])]);
    await expect(loadSftExamples(file, tokenizer, "raw", 256)).rejects.toThrow(
      `${file}:2: field "responseTokenIds" (target) holds token id 300 at index 1, outside the model's vocabulary [0, 256)`,
    );
  });

  it("SFT: a prompt id past the vocabulary is refused with file:line (it stopped training mid-run)", async () => {
    const file = pairsFile([sft([10, 999], [30, 40])]);
    await expect(loadSftExamples(file, tokenizer, "raw", 256)).rejects.toThrow(
      `${file}:1: field "promptTokenIds" (prompt) holds token id 999 at index 1, outside the model's vocabulary [0, 256)`,
    );
  });

  it("SFT on pair records and KD: a reply id at the vocabulary size is refused naming the target field", async () => {
    const line = JSON.stringify({
      problemId: "p0",
      studentMessages: [{ role: "user", content: "q" }],
      responseTokenIds: [65, 256],
      logitKey: null,
    });
    const file = pairsFile([line]);
    const expected = `${file}:1: field "responseTokenIds" (target) holds token id 256 at index 1, outside the model's vocabulary [0, 256)`;
    await expect(loadSftExamples(file, tokenizer, "raw", 256)).rejects.toThrow(expected);
    await expect(loadPairExamples(file, { tokenizer, promptMode: "raw", vocabSize: 256 })).rejects.toThrow(
      expected,
    );
  });

  it("a chat prompt the tokenizer encodes past the model's vocabulary is named as the prompt's", async () => {
    // A model with a smaller embedding than its tokenizer: "q" (id 113) is outside [0, 100).
    const file = pairsFile([pair("p0")]);
    await expect(loadPairExamples(file, { tokenizer, promptMode: "raw", vocabSize: 100 })).rejects.toThrow(
      `${file}:1: field "studentMessages" (prompt) holds token id 113`,
    );
  });

  it("ids inside the vocabulary load", async () => {
    const file = pairsFile([sft([10, 20], [30, 255])]);
    expect((await loadSftExamples(file, tokenizer, "raw", 256)).length).toBe(1);
  });
});
