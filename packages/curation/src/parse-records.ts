/**
 * Validation of Problem / Rollout records read from JSONL. Errors name the place (file:line) and the field,
 * and say what was expected and what was found, because these files are often produced by other tools.
 */
import { fieldRenameHint, isUnsafeInteger, unsafeIntegerError } from "@ssb/durable-files";
import type { ChatMessage, FinishReason, Problem, Rollout } from "./records.js";

/** Where a value came from, e.g. "rollouts.jsonl:12"; prefixed to every error message. */
export type Where = string;

export function describe(value: unknown): string {
  if (value === undefined) return "nothing (the field is missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}

export function asObject(value: unknown, where: Where, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    // A whole JSON array of records on one line: the file is a JSON document, not one record per line.
    const hint = Array.isArray(value)
      ? "; a line holding an array of records is not JSON Lines (one JSON object per line): jq -c '.[]' FILE > FILE.jsonl writes one per line"
      : "";
    throw new Error(`${where}: expected ${what} to be a JSON object, found ${describe(value)}${hint}`);
  }
  return value as Record<string, unknown>;
}

export function requireString(obj: Record<string, unknown>, field: string, where: Where): string {
  const v = obj[field];
  if (typeof v !== "string")
    throw new Error(`${where}: field "${field}" must be a string, found ${describe(v)}`);
  return v;
}

/**
 * Ids may be written as numbers by hand-made files; they are normalised to strings so lookups agree. Only
 * whole numbers: 1.5 and 1.50 would be one id as numbers but two as text. An integer past 2^53 is refused,
 * since JSON.parse has already changed its digits (two ids could become one).
 */
export function requireId(obj: Record<string, unknown>, field: string, where: Where): string {
  const v = obj[field];
  if (typeof v === "string" && v.length > 0) return v;
  if (isUnsafeInteger(v)) throw unsafeIntegerError(where, field, v);
  if (typeof v === "number" && Number.isInteger(v)) return String(v);
  if (typeof v === "number")
    throw new Error(
      `${where}: field "${field}" is the number ${v}: an id must be a non-empty string or a whole number (write it as a string, "${field}": "${v}", to keep it)`,
    );
  throw new Error(
    `${where}: field "${field}" must be a non-empty string (or an integer), found ${describe(v)}`,
  );
}

/** The fields a problem record needs, with the names other datasets give them (see fieldRenameHint). */
export const PROBLEM_FIELDS = { id: [], question: ["problem"], answer: [] } as const;

export function requireInt(obj: Record<string, unknown>, field: string, where: Where, min = 0): number {
  const v = obj[field];
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw new Error(`${where}: field "${field}" must be an integer >= ${min}, found ${describe(v)}`);
  }
  return v;
}

export function optionalString(
  obj: Record<string, unknown>,
  field: string,
  where: Where,
): string | undefined {
  const v = obj[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string")
    throw new Error(`${where}: field "${field}" must be a string, found ${describe(v)}`);
  return v;
}

export function parseTokenIds(value: unknown, where: Where, field: string): number[] {
  if (!Array.isArray(value))
    throw new Error(`${where}: field "${field}" must be an array of token ids, found ${describe(value)}`);
  for (let i = 0; i < value.length; i++) {
    const t: unknown = value[i];
    if (typeof t !== "number" || !Number.isInteger(t) || t < 0) {
      throw new Error(
        `${where}: field "${field}[${i}]" must be a non-negative integer token id, found ${describe(t)}`,
      );
    }
  }
  return value as number[];
}

export function parseFinishReason(value: unknown, where: Where, field = "finishReason"): FinishReason {
  if (value === "stop" || value === "length") return value;
  throw new Error(`${where}: field "${field}" must be "stop" or "length", found ${describe(value)}`);
}

export function parseMessages(value: unknown, where: Where, field: string): ChatMessage[] {
  if (!Array.isArray(value))
    throw new Error(`${where}: field "${field}" must be an array of chat messages, found ${describe(value)}`);
  return value.map((m, i) => {
    const obj = asObject(m, where, `${field}[${i}]`);
    return {
      role: requireString(obj, "role", `${where} ${field}[${i}]`),
      content: requireString(obj, "content", `${where} ${field}[${i}]`),
    };
  });
}

/** A Problem: `id`, `question`, `answer` are required; `answer` may be a number in hand-written files. */
export function parseProblem(value: unknown, where: Where = "problem record", fallbackId?: string): Problem {
  const obj = asObject(value, where, "a problem record");
  // GSM8K's own JSONL has no ids: a reader that knows the line passes it (ssb-rollout numbers lines the same way).
  const id = obj.id === undefined && fallbackId !== undefined ? fallbackId : requireId(obj, "id", where);
  // MATH's "problem", AIME's "Problem": say which fields the record has and the renaming, not just "missing".
  if (obj.question === undefined)
    throw new Error(
      `${where}: field "question" must be a string, found nothing (the field is missing); ${fieldRenameHint(obj, PROBLEM_FIELDS)}`,
    );
  const question = requireString(obj, "question", where);
  // A blank question (an empty cell, a rename gone wrong) would reach the teacher as an empty problem; ssb-rollout
  // refuses it in the same words.
  if (question.trim() === "") throw new Error(`${where}: field "question" is empty`);
  const rawAnswer = obj.answer;
  let answer: string;
  if (typeof rawAnswer === "string") answer = gsm8kGold(rawAnswer) ?? rawAnswer;
  else if (isUnsafeInteger(rawAnswer)) throw unsafeIntegerError(where, "answer", rawAnswer);
  else if (typeof rawAnswer === "number" && Number.isFinite(rawAnswer)) answer = String(rawAnswer);
  else
    throw new Error(
      `${where}: field "answer" must be the gold answer as a string, found ${describe(rawAnswer)}${rawAnswer === undefined ? `; ${fieldRenameHint(obj, PROBLEM_FIELDS)}` : ""}`,
    );
  // An empty gold grades every rollout wrong, so the problem would be dropped as "all wrong": an input error.
  if (answer.trim() === "") throw new Error(`${where}: field "answer" is empty`);
  const problem: Problem = { id, question, answer };
  const source = optionalString(obj, "source", where);
  if (source !== undefined) problem.source = source;
  const subject = optionalString(obj, "subject", where);
  if (subject !== undefined) problem.subject = subject;
  const level = obj.level;
  if (typeof level === "string" || typeof level === "number") problem.level = level;
  return problem;
}

/**
 * A problem given in code, read as readProblemsFile reads a line (checked, an integer id or a number gold as
 * its string), except that a string gold is kept as given: a GSM8K solution's gold is taken after its `####`
 * by readProblemsFile, and a gold built in code is the caller's.
 */
export function problemRecord(value: unknown, where: string): Problem {
  const parsed = parseProblem(value, where);
  const given = (value as Record<string, unknown>).answer;
  return typeof given === "string" ? { ...parsed, answer: given } : parsed;
}

/**
 * A GSM8K solution ("... #### 72") holds its gold after the last `####`, as @ssb/eval reads GSM8K: that text,
 * trimmed. Null for any other answer, which is the gold as it is.
 */
export function gsm8kGold(answer: string): string | null {
  if (typeof answer !== "string")
    throw new TypeError(`gsm8kGold: answer must be a string, found ${describe(answer)}`);
  const at = answer.lastIndexOf("####");
  return at < 0 ? null : answer.slice(at + 4).trim();
}

/**
 * A Rollout: `problemId`, `sampleIndex`, `text` are required; the rest is checked when present. `where`
 * prefixes errors (e.g. "rollouts.jsonl:12"); without one they start "rollout record: ".
 */
export function parseRollout(value: unknown, where: Where = "rollout record"): Rollout {
  const obj = asObject(value, where, "a rollout record");
  const rollout: Rollout = {
    problemId: requireId(obj, "problemId", where),
    sampleIndex: requireInt(obj, "sampleIndex", where),
    text: requireString(obj, "text", where),
  };
  if (obj.finishReason !== undefined && obj.finishReason !== null) {
    rollout.finishReason = parseFinishReason(obj.finishReason, where);
  }
  if (obj.tokenIds !== undefined) rollout.tokenIds = parseTokenIds(obj.tokenIds, where, "tokenIds");
  if (obj.prompt !== undefined) rollout.prompt = parseMessages(obj.prompt, where, "prompt");
  if (typeof obj.sampling === "object" && obj.sampling !== null && !Array.isArray(obj.sampling)) {
    rollout.sampling = obj.sampling as Record<string, unknown>;
  }
  if (typeof obj.seed === "number") rollout.seed = obj.seed;
  const modelId = optionalString(obj, "modelId", where);
  if (modelId !== undefined) rollout.modelId = modelId;
  return rollout;
}
