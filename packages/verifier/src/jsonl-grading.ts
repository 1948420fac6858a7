import { refuseUnknownOptions } from "@ssb/cli-kit";
import { isUnsafeInteger } from "@ssb/durable-files";
import { lineWithFields, writtenNumber } from "./exact-numbers.js";
import { grade } from "./grade.js";
import { looksLikeUtf16Line, NOT_JSON_LINES, nonJsonNumber } from "./input-encoding.js";
import { GRADE_OPTION_KEYS } from "./options-check.js";
import type { GradeOptions, GradeResult } from "./types.js";

export interface GradeLineOptions extends GradeOptions {
  /** Field holding the model response. Default `response`. */
  responseField?: string;
  /** Field holding the gold answer. Default `gold`. */
  goldField?: string;
}

export type GradedLine =
  | {
      ok: true;
      record: Record<string, unknown>;
      result: GradeResult;
      /**
       * The output line (no newline): `record` as JSON, or, when the input held integers past 2^53, the input
       * line with the grading fields added, so their digits are written back as they came.
       */
      text: string;
    }
  | {
      ok: false;
      /** The whole message, starting `file:line: `. */
      error: string;
      /**
       * What is wrong, without the line's own details (line number, JSON parse position, the fields it has):
       * equal for lines with the same problem, so a caller can print a few and count the rest.
       */
      problem: string;
    };

/** At most this many field names are listed for a line that lacks the response or gold field. */
const MAX_LISTED_FIELDS = 12;

const LINE_OPTION_KEYS: readonly string[] = ["responseField", "goldField", ...GRADE_OPTION_KEYS];

/** `present: id, text, answer_text` — the fields a line does have, so a wrong --gold-field shows the right one. */
function presentFields(record: Record<string, unknown>, wanted: string): string {
  const keys = Object.keys(record);
  if (keys.length === 0) return "present: none";
  const listed = keys.slice(0, MAX_LISTED_FIELDS).join(", ");
  const present = `present: ${listed}${keys.length > MAX_LISTED_FIELDS ? `, ... (${keys.length} in all)` : ""}`;
  // AIME 2024 on the Hub writes `Answer`, `Problem`, `ID`: a field that differs only in case is the one meant.
  const cased = keys.find((k) => k.toLowerCase() === wanted.toLowerCase());
  return cased === undefined ? present : `${present}; did you mean "${cased}"? names are case-sensitive`;
}

function fieldProblem(field: string, wanted: string, value: unknown): string {
  return `field "${field}" must be ${wanted}, found ${value === undefined ? "nothing" : value === null ? "null" : typeof value}`;
}

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
  refuseUnknownOptions(options, LINE_OPTION_KEYS, "gradeJsonLine", (message) => new TypeError(message));
  const responseField = options.responseField ?? "response";
  const goldField = options.goldField ?? "gold";
  // A byte-order mark (a file saved on Windows, or several joined with cat) is not part of the record.
  const text = line.charCodeAt(0) === 0xfeff ? line.slice(1) : line;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    if (looksLikeUtf16Line(text)) {
      const problem = `not valid JSON: the file is UTF-16, not UTF-8 (Windows PowerShell's ">" and Out-File write UTF-16); convert it first`;
      return { ok: false, error: `${source}:${lineNumber}: ${problem}`, problem };
    }
    const number = nonJsonNumber(text);
    if (number !== null) {
      const problem = `field "${number.field}" is ${number.value}, which is not JSON (Python's json.dumps writes float ${number.value === "NaN" ? "nan" : "inf"} so; write null or a string, or pass allow_nan=False to find them)`;
      return { ok: false, error: `${source}:${lineNumber}: ${problem}`, problem };
    }
    return {
      ok: false,
      error: `${source}:${lineNumber}: not valid JSON (${why})`,
      problem: "not valid JSON",
    };
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    const found = parsed === null ? "null" : Array.isArray(parsed) ? "an array" : typeof parsed;
    // An array of objects on one line is a whole JSON file (pandas' to_json(orient="records") without lines).
    const rows =
      Array.isArray(parsed) && parsed.length > 0 && typeof parsed[0] === "object" && parsed[0] !== null;
    const problem = `expected a JSON object, found ${found}${rows ? ` (${NOT_JSON_LINES})` : ""}`;
    return { ok: false, error: `${source}:${lineNumber}: ${problem}`, problem };
  }
  const record = parsed as Record<string, unknown>;
  const response = record[responseField];
  const gold = record[goldField];
  if (typeof response !== "string") {
    const problem = fieldProblem(responseField, "a string", response);
    const detail = response === undefined ? ` (${presentFields(record, responseField)})` : "";
    return { ok: false, error: `${source}:${lineNumber}: ${problem}${detail}`, problem };
  }
  if (typeof gold !== "string" && typeof gold !== "number") {
    const problem = fieldProblem(goldField, "a string or number", gold);
    const detail = gold === undefined ? ` (${presentFields(record, goldField)})` : "";
    return { ok: false, error: `${source}:${lineNumber}: ${problem}${detail}`, problem };
  }
  // 12345678901234567890 reads as 12345678901234567000: graded against other digits than the file's.
  if (isUnsafeInteger(gold)) {
    const written = writtenNumber(text, goldField) ?? String(gold);
    const problem = `field "${goldField}" is a number past 2^53, which JSON readers round (${written} reads as ${BigInt(gold)}); write it as a string`;
    return { ok: false, error: `${source}:${lineNumber}: ${problem}`, problem };
  }
  // The field names are this function's own options, not grade's (which refuses keys it does not read).
  const { responseField: _response, goldField: _gold, ...gradeOptions } = options;
  const result = grade(response, String(gold), gradeOptions);
  const added = {
    correct: result.correct,
    verdict: result.verdict,
    extracted: result.extracted,
    rule: result.rule,
    reason: result.reason,
  };
  return { ok: true, result, record: { ...record, ...added }, text: lineWithFields(text, record, added) };
}
