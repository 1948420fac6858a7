/**
 * Read a benchmark's JSONL file into problems. Bad input stops with the file, line and field, because a silently
 * skipped problem changes every number downstream.
 */
import { readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { fieldRenameHint, parseJsonlLine } from "@ssb/durable-files";
import { type BenchmarkSpec, BUILTIN_BENCHMARKS, goldAnswer } from "./benchmarks.js";
import { packageDataDir } from "./data-dir.js";
import type { Problem } from "./types.js";

export interface LoadBenchmarkOptions {
  /** Keep only the first `limit` problems (file order). */
  limit?: number;
  /** Keep only these problem ids (file order is kept). Unknown ids are an error. */
  ids?: readonly string[];
  /** Folder that relative spec files resolve against. Default: the package's data folder. */
  dataDir?: string;
}

export interface LoadedBenchmark {
  spec: BenchmarkSpec;
  /** The resolved file path. */
  file: string;
  problems: Problem[];
  /** Problems in the file, before `ids` and `limit` picked some: a report says when a run covers fewer. */
  fileProblems: number;
}

/** A built-in benchmark by name, or the spec itself. */
export function resolveBenchmark(benchmark: string | BenchmarkSpec): BenchmarkSpec {
  if (typeof benchmark !== "string") return benchmark;
  const spec = BUILTIN_BENCHMARKS[benchmark];
  if (spec === undefined) {
    throw new Error(
      `unknown benchmark "${benchmark}" (built-in: ${Object.keys(BUILTIN_BENCHMARKS).join(", ")}; ` +
        "other JSONL files need a benchmark spec)",
    );
  }
  return spec;
}

/** The other way to a file with other field names: a benchmark spec that names them. */
const SPEC_FIELDS = '; or name its fields in a benchmark spec ("questionField", "answerField", "idField")';

/**
 * The spec settings that would read this record's fields under the names it gives them (`name its fields in the
 * benchmark spec: "questionField": "question"`), else the general pointer to specs. A spec that named a field
 * wrongly ("q" for "question") was told only to rename the file's field to fit the typo.
 */
function specHint(record: Record<string, unknown>, spec: BenchmarkSpec): string {
  const keys = Object.keys(record);
  const named = (wanted: readonly string[]): string | undefined =>
    wanted.map((w) => keys.find((k) => k.toLowerCase() === w.toLowerCase())).find((k) => k !== undefined);
  const settings: string[] = [];
  const add = (specKey: string, field: string | undefined, wanted: readonly string[]): void => {
    if (field === undefined || field in record) return;
    const found = named([field, ...wanted]);
    if (found !== undefined) settings.push(`"${specKey}": ${JSON.stringify(found)}`);
  };
  add("idField", spec.idField, ["id"]);
  add("questionField", spec.questionField, ["question", "problem"]);
  add("answerField", spec.answerField, ["answer"]);
  return settings.length === 0
    ? SPEC_FIELDS
    : `; or name its fields in the benchmark spec (${settings.join(", ")})`;
}

/** Parse JSONL text into problems following a spec; `file` is used in error messages. */
export function parseBenchmarkText(text: string, spec: BenchmarkSpec, file: string): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, number>();
  // Lines as @ssb/durable-files reads input lines: a byte-order mark on any line skipped (files joined with
  // `cat`); a UTF-16 file, a JSON array or pretty-printed file and Python's NaN named; an id or gold past 2^53
  // (JSON.parse would round it: a right reply graded wrong, two ids one) refused, to be written as a string.
  const exactFields = [spec.answerField, ...(spec.idField === undefined ? [] : [spec.idField])];
  // Fields named otherwise (MATH's "problem", AIME's "Problem" on the Hub) are named with the renaming.
  const wanted: Record<string, string[]> = {
    ...(spec.idField === undefined ? {} : { [spec.idField]: ["id"] }),
    [spec.questionField]: ["question", "problem"],
    [spec.answerField]: ["answer"],
  };
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    if (line.trim() === "") continue;
    const where = `${file}:${i + 1}`;
    const o = parseJsonlLine(line, file, i + 1, { exactFields }) as Record<string, unknown>;
    const question = o[spec.questionField];
    if (typeof question !== "string" || question.trim() === "") {
      const hint = question === undefined ? `; ${fieldRenameHint(o, wanted)}${specHint(o, spec)}` : "";
      throw new Error(`${where}: field "${spec.questionField}" (question) must be a non-empty string${hint}`);
    }
    const rawAnswer = o[spec.answerField];
    if (typeof rawAnswer !== "string" && typeof rawAnswer !== "number") {
      const hint = rawAnswer === undefined ? `; ${fieldRenameHint(o, wanted)}${specHint(o, spec)}` : "";
      throw new Error(`${where}: field "${spec.answerField}" (answer) must be a string or number${hint}`);
    }
    const format = spec.goldFormat ?? "plain";
    const answer = goldAnswer(String(rawAnswer), format);
    if (answer === null || answer === "") {
      throw new Error(`${where}: field "${spec.answerField}" has no gold answer in "${format}" format`);
    }
    let id = `line-${i + 1}`;
    if (spec.idField !== undefined) {
      const rawId = o[spec.idField];
      if (typeof rawId !== "string" && typeof rawId !== "number") {
        const hint = rawId === undefined ? `; ${fieldRenameHint(o, wanted)}${specHint(o, spec)}` : "";
        throw new Error(`${where}: field "${spec.idField}" (id) must be a string or number${hint}`);
      }
      // As ssb-rollout and ssb-curate: 1.5 and 1.50 are one id as numbers and two as text.
      if (typeof rawId === "number" && !Number.isInteger(rawId))
        throw new Error(
          `${where}: field "${spec.idField}" is the number ${rawId}: an id must be a non-empty string or a whole number (write it as a string, "${spec.idField}": "${rawId}", to keep it)`,
        );
      id = String(rawId);
    }
    const previous = seen.get(id);
    if (previous !== undefined) throw new Error(`${where}: duplicate id "${id}" (first on line ${previous})`);
    seen.set(id, i + 1);
    const problem: Problem = { id, question, answer };
    if (spec.subjectField !== undefined) {
      const subject = o[spec.subjectField];
      if (typeof subject !== "string")
        throw new Error(`${where}: field "${spec.subjectField}" (subject) must be a string`);
      problem.subject = subject;
    }
    if (spec.levelField !== undefined) {
      const level = o[spec.levelField];
      if (typeof level !== "string" && typeof level !== "number") {
        throw new Error(`${where}: field "${spec.levelField}" (level) must be a string or number`);
      }
      problem.level = level;
    }
    problems.push(problem);
  }
  return problems;
}

/** Load a benchmark (built-in name or spec), optionally a subset of its problems. */
export function loadBenchmark(
  benchmark: string | BenchmarkSpec,
  options: LoadBenchmarkOptions = {},
): LoadedBenchmark {
  const spec = resolveBenchmark(benchmark);
  const file = isAbsolute(spec.file) ? spec.file : join(options.dataDir ?? packageDataDir(), spec.file);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new Error(`benchmark "${spec.name}": cannot read ${file} (${(error as Error).message})`);
  }
  let problems = parseBenchmarkText(text, spec, file);
  const fileProblems = problems.length;
  // An empty file would "pass" with 0 problems and an empty report: almost always a wrong path or a failed
  // download, never a benchmark.
  if (problems.length === 0)
    throw new Error(`benchmark "${spec.name}": ${file} holds no problems (no non-blank lines)`);
  if (options.ids !== undefined) {
    if (options.ids.length === 0)
      throw new Error(`benchmark "${spec.name}": the list of problem ids to keep is empty`);
    const wanted = new Set(options.ids);
    const known = new Set(problems.map((p) => p.id));
    const missing = [...wanted].filter((id) => !known.has(id));
    if (missing.length > 0)
      throw new Error(`benchmark "${spec.name}": unknown problem ids ${missing.slice(0, 5).join(", ")}`);
    problems = problems.filter((p) => wanted.has(p.id));
  }
  if (options.limit !== undefined) problems = problems.slice(0, options.limit);
  return { spec, file, problems, fileProblems };
}
