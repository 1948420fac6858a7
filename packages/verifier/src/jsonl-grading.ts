import { grade } from "./grade.js";
import type { GradeOptions, GradeResult } from "./types.js";

export interface GradeLineOptions extends GradeOptions {
  /** Field holding the model response. Default `response`. */
  responseField?: string;
  /** Field holding the gold answer. Default `gold`. */
  goldField?: string;
}

export type GradedLine =
  | { ok: true; record: Record<string, unknown>; result: GradeResult }
  | { ok: false; error: string };

/**
 * Grades one JSONL line: parses it, checks the fields, and returns the input record with `correct`,
 * `verdict`, `extracted`, `rule` and `reason` added — or an error that says what is wrong with the line.
 */
export function gradeJsonLine(
  line: string,
  lineNumber: number,
  source: string,
  options: GradeLineOptions = {},
): GradedLine {
  const responseField = options.responseField ?? "response";
  const goldField = options.goldField ?? "gold";
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { ok: false, error: `${source}:${lineNumber}: not valid JSON (${why})` };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    return {
      ok: false,
      error: `${source}:${lineNumber}: expected a JSON object, found ${Array.isArray(parsed) ? "an array" : typeof parsed}`,
    };
  }
  const record = parsed as Record<string, unknown>;
  const response = record[responseField];
  const gold = record[goldField];
  if (typeof response !== "string") {
    return {
      ok: false,
      error: `${source}:${lineNumber}: field "${responseField}" must be a string, found ${response === undefined ? "nothing" : typeof response}`,
    };
  }
  if (typeof gold !== "string" && typeof gold !== "number") {
    return {
      ok: false,
      error: `${source}:${lineNumber}: field "${goldField}" must be a string or number, found ${gold === undefined ? "nothing" : typeof gold}`,
    };
  }
  const result = grade(response, String(gold), options);
  return {
    ok: true,
    result,
    record: {
      ...record,
      correct: result.correct,
      verdict: result.verdict,
      extracted: result.extracted,
      rule: result.rule,
      reason: result.reason,
    },
  };
}
