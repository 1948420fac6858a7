import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadProblems, resolveProblemSource } from "./problem-source.js";

const whole = (value: string | undefined, fallback: number): number =>
  value === undefined ? fallback : Number(value);
const dir = mkdtempSync(path.join(os.tmpdir(), "ssb-grpo-source-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("resolveProblemSource", () => {
  it("refuses two problem sources, naming both (one used to win silently)", () => {
    // eval --problems test.jsonl --held-out 5 evaluated the whole file.
    expect(() => resolveProblemSource({ problems: "t.jsonl", "held-out": "5" }, "held-out", whole)).toThrow(
      "--problems and --held-out are alternatives: give one problem source",
    );
    // eval --held-out 3 --fresh 5 used the 5 fresh problems.
    expect(() => resolveProblemSource({ "held-out": "3", fresh: "5" }, "held-out", whole)).toThrow(
      "--fresh and --held-out are alternatives",
    );
    // train --problems g3.jsonl --fresh 10 trained on the file.
    expect(() => resolveProblemSource({ problems: "g3.jsonl", fresh: "10" }, "fresh", whole)).toThrow(
      "--problems and --fresh are alternatives",
    );
  });

  it("refuses a flag of another source instead of ignoring it", () => {
    expect(() => resolveProblemSource({ limit: "5" }, "held-out", whole)).toThrow(
      "--limit N takes the first N problems of --problems FILE; give --problems",
    );
    expect(() => resolveProblemSource({ problems: "t.jsonl", "problem-seed": "3" }, "fresh", whole)).toThrow(
      "--problem-seed seeds --fresh problems; it does nothing with --problems FILE",
    );
    expect(() => resolveProblemSource({ "problem-seed": "3" }, "held-out", whole)).toThrow(
      "it does nothing with the held-out split",
    );
  });

  it("takes the one source given, or the command's default", () => {
    expect(resolveProblemSource({}, "fresh", whole)).toEqual({ kind: "fresh", count: 2000, seed: 1 });
    expect(resolveProblemSource({}, "held-out", whole)).toEqual({ kind: "held-out", count: 200 });
    expect(resolveProblemSource({ fresh: "7", "problem-seed": "4" }, "held-out", whole)).toEqual({
      kind: "fresh",
      count: 7,
      seed: 4,
    });
    expect(resolveProblemSource({ problems: "t.jsonl", limit: "5" }, "held-out", whole)).toEqual({
      kind: "file",
      file: "t.jsonl",
      limit: 5,
    });
  });

  it("--limit N: the file's first N problems (all of them when it holds fewer)", () => {
    const file = path.join(dir, "three.jsonl");
    writeFileSync(
      file,
      ["a", "b", "c"].map((id) => JSON.stringify({ id, question: "q", answer: "1" })).join("\n"),
    );
    const ids = (limit: number | null) => loadProblems({ kind: "file", file, limit }, dir).map((p) => p.id);
    expect(ids(2)).toEqual(["a", "b"]);
    expect(ids(10)).toEqual(["a", "b", "c"]);
    expect(ids(null)).toEqual(["a", "b", "c"]);
  });
});

describe("fresh and held-out problems of a checkpoint without training.json", () => {
  it("heldOutDefaultProblems names the missing file and why it is needed (it was a bare ENOENT)", () => {
    expect(() => loadProblems({ kind: "held-out", count: 2 }, dir)).toThrow(
      `${path.join(dir, "training.json")}: no such file; fresh and held-out problems exist only for the embedded default model`,
    );
  });
});
