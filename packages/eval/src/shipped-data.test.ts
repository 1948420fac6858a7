/**
 * The three shipped benchmarks against their sources: the files are the workspace's shared copies byte for byte
 * (with the sha256 sums data/README.md lists), and every gold answer is graded correct against itself by the
 * verifier, boxed as a model would write it, so no problem is unsolvable by construction. MATH500's worked
 * solutions are graded by their final answer against the `answer` field, as GSM8K's `#### 72` solutions are.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { grade } from "@ssb/verifier";
import { describe, expect, it } from "vitest";
import { BUILTIN_BENCHMARKS } from "./benchmarks.js";
import { packageDataDir } from "./data-dir.js";
import { loadBenchmark } from "./load-benchmark.js";

/** The workspace's shared data folder (/work/shared/data beside the repository); absent in an installed package. */
const SHARED = join(import.meta.dirname, "..", "..", "..", "..", "shared", "data");

const sha256 = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

describe("shipped benchmark files", () => {
  const readme = readFileSync(join(packageDataDir(), "README.md"), "utf8");

  for (const [name, count] of [
    ["gsm8k", 1319],
    ["math500", 500],
    ["aime24", 30],
  ] as const) {
    it(`${name}: ${count} problems, unique ids, the sha256 data/README.md lists`, () => {
      const spec = BUILTIN_BENCHMARKS[name];
      const loaded = loadBenchmark(name);
      expect(loaded.problems).toHaveLength(count);
      expect(new Set(loaded.problems.map((p) => p.id)).size).toBe(count);
      expect(readme).toContain(`| ${spec?.file} | ${count} | ${sha256(loaded.file)} |`);
    });

    it.skipIf(!existsSync(SHARED))(`${name}: byte-identical to the shared data folder's copy`, () => {
      const file = BUILTIN_BENCHMARKS[name]?.file ?? "";
      expect(sha256(join(packageDataDir(), file))).toBe(sha256(join(SHARED, file)));
    });

    it(`${name}: every gold is graded correct against itself, boxed`, () => {
      const wrong = loadBenchmark(name)
        .problems.map((p) => ({
          id: p.id,
          gold: p.answer,
          g: grade(`So the answer is $\\boxed{${p.answer}}$.`, p.answer),
        }))
        .filter((x) => !x.g.correct)
        .map((x) => `${x.id}: ${x.gold} (${x.g.reason})`);
      expect(wrong).toEqual([]);
    });
  }

  it("the ids are the stable ones reports and replies files hold", () => {
    expect(loadBenchmark("gsm8k", { limit: 2 }).problems.map((p) => p.id)).toEqual(["line-1", "line-2"]);
    expect(loadBenchmark("math500", { limit: 1 }).problems[0]?.id).toBe("test/precalculus/807.json");
    expect(loadBenchmark("aime24").problems.map((p) => p.id)).toEqual(
      Array.from({ length: 30 }, (_, i) => String(60 + i)),
    );
  });

  it("worked solutions are graded by their final answer: MATH500's solution and GSM8K's #### line", () => {
    for (const [name, field] of [
      ["math500", "solution"],
      ["gsm8k", "answer"],
    ] as const) {
      const { file, problems } = loadBenchmark(name);
      const rows = readFileSync(file, "utf8")
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as Record<string, string>);
      const wrong = problems
        .map((p, i) => ({ id: p.id, g: grade(rows[i]?.[field] ?? "", p.answer) }))
        .filter((x) => !x.g.correct)
        .map((x) => `${name} ${x.id}: ${x.g.extracted} (${x.g.reason})`);
      expect(wrong).toEqual([]);
    }
  });
});
