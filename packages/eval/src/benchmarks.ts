/**
 * Benchmarks as small declarative specs: which JSONL file, which fields hold the question and the answer, and how
 * the gold final answer is pulled out of the answer field. The three shipped benchmarks are specs like any other,
 * so a new dataset is one object (or one JSON file for the CLI), not code.
 */
import { extractAnswer } from "@ssb/verifier";

/**
 * How the gold final answer is read from the answer field:
 * - `plain`: the field is the final answer (MATH500 `answer`, AIME `answer`).
 * - `gsm8k`: the text after the last `####`, trimmed (GSM8K solutions end with `#### 72`).
 * - `boxed`: the content of the last `\boxed{}` (a worked solution, as MATH's `solution`).
 */
export type GoldFormat = "plain" | "gsm8k" | "boxed";

export const GOLD_FORMATS: readonly GoldFormat[] = ["plain", "gsm8k", "boxed"];

export interface BenchmarkSpec {
  /** Name used in records, summaries and reports. */
  name: string;
  /** JSONL file. Relative paths of built-ins resolve against the package's data folder. */
  file: string;
  questionField: string;
  answerField: string;
  /** Default `plain`. */
  goldFormat?: GoldFormat;
  /** Field with a unique id (string or number); without it the id is `line-<line number>`. */
  idField?: string;
  subjectField?: string;
  levelField?: string;
}

export const BUILTIN_BENCHMARKS: Readonly<Record<string, BenchmarkSpec>> = {
  gsm8k: {
    name: "gsm8k",
    file: "gsm8k/test.jsonl",
    questionField: "question",
    answerField: "answer",
    goldFormat: "gsm8k",
  },
  math500: {
    name: "math500",
    file: "math500/test.jsonl",
    questionField: "problem",
    answerField: "answer",
    goldFormat: "plain",
    idField: "unique_id",
    subjectField: "subject",
    levelField: "level",
  },
  aime24: {
    name: "aime24",
    file: "aime24/test.jsonl",
    questionField: "problem",
    answerField: "answer",
    goldFormat: "plain",
    idField: "id",
  },
};

/** Pull the gold final answer out of an answer field; null when the format finds nothing. */
export function goldAnswer(raw: string, format: GoldFormat): string | null {
  switch (format) {
    case "plain":
      return raw.trim();
    case "gsm8k": {
      const at = raw.lastIndexOf("####");
      if (at < 0) return null;
      const answer = raw.slice(at + 4).trim();
      return answer === "" ? null : answer;
    }
    case "boxed":
      return extractAnswer(raw, { rules: ["boxed"] })?.answer ?? null;
  }
}

/** Check a spec read from a user's JSON file; errors name the source and the field. */
export function parseBenchmarkSpec(value: unknown, where: string): BenchmarkSpec {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new Error(`${where}: expected a benchmark object {name, file, questionField, answerField, ...}`);
  }
  const o = value as Record<string, unknown>;
  const str = (field: string, required: boolean): string | undefined => {
    const v = o[field];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "string" || v.trim() === "") {
      throw new Error(`${where}: field "${field}" must be a non-empty string, found ${JSON.stringify(v)}`);
    }
    return v;
  };
  const known = new Set([
    "name",
    "file",
    "questionField",
    "answerField",
    "goldFormat",
    "idField",
    "subjectField",
    "levelField",
  ]);
  for (const key of Object.keys(o)) {
    if (!known.has(key))
      throw new Error(`${where}: unknown field "${key}" (known: ${[...known].join(", ")})`);
  }
  const goldFormat = str("goldFormat", false);
  if (goldFormat !== undefined && !GOLD_FORMATS.includes(goldFormat as GoldFormat)) {
    throw new Error(
      `${where}: field "goldFormat" must be one of ${GOLD_FORMATS.join(", ")}, found "${goldFormat}"`,
    );
  }
  const spec: BenchmarkSpec = {
    name: str("name", true) as string,
    file: str("file", true) as string,
    questionField: str("questionField", true) as string,
    answerField: str("answerField", true) as string,
  };
  if (goldFormat !== undefined) spec.goldFormat = goldFormat as GoldFormat;
  const idField = str("idField", false);
  if (idField !== undefined) spec.idField = idField;
  const subjectField = str("subjectField", false);
  if (subjectField !== undefined) spec.subjectField = subjectField;
  const levelField = str("levelField", false);
  if (levelField !== undefined) spec.levelField = levelField;
  return spec;
}
