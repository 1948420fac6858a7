/**
 * Where `ssb-grpo train` and `ssb-grpo eval` take their problems from: a JSONL file (--problems, optionally
 * cut with --limit), fresh problems drawn for the default model (--fresh, --problem-seed) or its held-out split
 * (--held-out, eval only). These are alternatives: given together, one used to win silently (`eval --problems
 * test.jsonl --held-out 5` evaluated all 1,319 problems of the file), so a second source is refused by name.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { checkPath, UsageError } from "@ssb/cli-kit";
import { freshDefaultProblems, heldOutDefaultProblems } from "./default-problems.js";
import { type GrpoProblem, readProblems } from "./problems.js";

/** The problem flags as parsed (strings, unchecked). */
export interface ProblemFlags {
  problems?: string | undefined;
  limit?: string | undefined;
  fresh?: string | undefined;
  "problem-seed"?: string | undefined;
  "held-out"?: string | undefined;
}

export type ProblemSource =
  | { kind: "file"; file: string; limit: number | null }
  | { kind: "fresh"; count: number; seed: number }
  | { kind: "held-out"; count: number };

/** An integer flag's value (plain digits, at least `min`, at most 2^53 - 1), or undefined when not given. */
export type WholeNumber = (value: string | undefined, fallback: number, flag: string, min: number) => number;

/**
 * The one problem source the flags name, checked before anything is read. `fallback` is the source when none
 * is given: train draws `--fresh 2000`, eval takes `--held-out 200`.
 */
export function resolveProblemSource(
  flags: ProblemFlags,
  fallback: "fresh" | "held-out",
  wholeNumber: WholeNumber,
): ProblemSource {
  const given = (["problems", "fresh", "held-out"] as const).filter((flag) => flags[flag] !== undefined);
  if (given.length > 1)
    throw new UsageError(
      `${given.map((flag) => `--${flag}`).join(" and ")} are alternatives: give one problem source`,
    );
  const kind = given[0] === "problems" ? "file" : (given[0] ?? fallback);
  // A flag for another source would be ignored without a word: --limit cuts a file, --problem-seed draws.
  if (flags.limit !== undefined && kind !== "file")
    throw new UsageError("--limit N takes the first N problems of --problems FILE; give --problems");
  if (flags["problem-seed"] !== undefined && kind !== "fresh")
    throw new UsageError(
      `--problem-seed seeds --fresh problems; it does nothing with ${kind === "file" ? "--problems FILE" : "the held-out split"}`,
    );
  if (kind === "file")
    return {
      kind,
      file: flags.problems as string,
      limit: flags.limit === undefined ? null : wholeNumber(flags.limit, 0, "--limit", 1),
    };
  if (kind === "fresh")
    return {
      kind,
      count: wholeNumber(flags.fresh, 2000, "--fresh", 1),
      seed: wholeNumber(flags["problem-seed"], 1, "--problem-seed", 0),
    };
  return { kind, count: wholeNumber(flags["held-out"], 200, "--held-out", 1) };
}

/** The problems of a source; a file's first `limit` ones. */
export function loadProblems(source: ProblemSource, modelDir: string): GrpoProblem[] {
  if (source.kind === "fresh")
    return freshDefaultProblems({ count: source.count, seed: source.seed, modelDir });
  if (source.kind === "held-out") return heldOutDefaultProblems(source.count, modelDir);
  const problems = readProblems(source.file);
  return source.limit === null ? problems : problems.slice(0, source.limit);
}

/**
 * --model, checked before anything is read from it: a missing path or a file is named as such (it used to end
 * in a bare ENOENT on `training.json` or `config.json`).
 */
export function checkModelFlag(modelDir: string): void {
  checkFolderFlag("--model", modelDir, "a checkpoint folder (HF layout + tokenizer)");
}

/** A folder flag (--model, --adapter): a missing path or a file named with the flag, before any work. */
export function checkFolderFlag(flag: string, dir: string, what: string): void {
  checkPath(dir, "folder", { flag, expected: what });
}

/**
 * Fresh and held-out problems are drawn around the embedded default model's training.json (its seed and
 * splits); a plain HF checkpoint has none, which used to print `ENOENT: ... open 'hf/training.json'`.
 */
export function checkSourceFitsModel(source: ProblemSource, modelDir: string, modelFlag: boolean): void {
  if (source.kind === "file" || existsSync(path.join(modelDir, "training.json"))) return;
  const which =
    source.kind === "fresh"
      ? "fresh problems (--fresh, the default without --problems)"
      : "--held-out problems";
  throw new Error(
    `${modelFlag ? `--model ${modelDir}` : modelDir}: no training.json; ${which} exist only for the embedded default model, drawn around its training.json: pass --problems FILE`,
  );
}
