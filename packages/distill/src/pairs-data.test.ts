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
    await expect(readJsonl(file)).rejects.toThrow(`${file}:2: invalid JSON`);
  });
});
