import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readRolloutsFile } from "./rollouts-file.js";

const dir = mkdtempSync(join(tmpdir(), "ssb-rollouts-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string, rows: unknown[]): string => {
  const path = join(dir, name);
  writeFileSync(path, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
  return path;
};

describe("readRolloutsFile", () => {
  it("reads rollouts; one sampleIndex may appear once per problem", async () => {
    const path = file("ok.jsonl", [
      { problemId: "a", sampleIndex: 0, text: "x" },
      { problemId: "b", sampleIndex: 0, text: "y", finishReason: "length" },
      { problemId: 7, sampleIndex: 1, text: "z" },
    ]);
    expect(await readRolloutsFile(path)).toEqual([
      { problemId: "a", sampleIndex: 0, text: "x" },
      { problemId: "b", sampleIndex: 0, text: "y", finishReason: "length" },
      { problemId: "7", sampleIndex: 1, text: "z" },
    ]);
  });

  it("names the file and both lines of a duplicate sample", async () => {
    const path = file("dup.jsonl", [
      { problemId: "a", sampleIndex: 0, text: "x" },
      { problemId: "a", sampleIndex: 1, text: "y" },
      { problemId: "b", sampleIndex: 1, text: "z" },
      { problemId: "a", sampleIndex: 1, text: "another y" },
    ]);
    await expect(readRolloutsFile(path)).rejects.toThrow(
      `${path}:4: duplicate sample: problem "a", sampleIndex 1 (first on line 2)`,
    );
  });
});
