import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "./cli-main.js";
import { LEGACY_LAST_NUMBER_RULES } from "./last-number-rules.js";
import { loadBenchmark } from "./load-benchmark.js";

const root = mkdtempSync(join(tmpdir(), "ssb-eval-last-number-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const silent = { stdout: { write: () => undefined }, stderr: { write: () => undefined } };

/** Replies answering GSM8K's first problems inside R1-Zero answer blocks, the last one with a formula. */
function writeReplies(file: string): string {
  const problems = loadBenchmark("gsm8k", { limit: 3 }).problems;
  const lines = problems.map((p, i) =>
    JSON.stringify({
      benchmark: "gsm8k",
      problemId: p.id,
      sampleIndex: 0,
      text:
        i === 2 ? "<think>so</think><answer>x^2+1</answer>" : `<think>so</think><answer>${p.answer}</answer>`,
    }),
  );
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

const rulesOf = (out: string): unknown =>
  (JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as { grade: { rules?: unknown } }).grade.rules;

describe("--last-number", () => {
  const replies = writeReplies(join(root, "replies.jsonl"));
  const argv = (out: string) => [
    "--replies",
    replies,
    "--benchmarks",
    "gsm8k",
    "--limit",
    "3",
    "--out",
    out,
    "--last-number",
  ];

  it("reads answer blocks before falling back to the last number", async () => {
    const out = join(root, "new");
    expect(await main(argv(out), silent)).toBe(0);
    const rules = rulesOf(out) as string[];
    expect(rules.slice(-2)).toEqual(["answer-tag", "last-number"]);
    const records = readFileSync(join(out, "records.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    // The formula is the block's answer, not its last number.
    expect(records.map((r: { extracted: string | null }) => r.extracted)).toContain("x^2+1");
  });

  it("keeps the older list for a run that recorded it, so that run resumes", async () => {
    const out = join(root, "old");
    expect(await main(argv(out), silent)).toBe(0);
    const runFile = join(out, "run.json");
    const manifest = JSON.parse(readFileSync(runFile, "utf8")) as { grade: { rules: readonly string[] } };
    manifest.grade.rules = LEGACY_LAST_NUMBER_RULES;
    writeFileSync(runFile, `${JSON.stringify(manifest, null, 2)}\n`);
    expect(await main(argv(out), silent)).toBe(0);
    expect(rulesOf(out)).toEqual(LEGACY_LAST_NUMBER_RULES);
  });
});
