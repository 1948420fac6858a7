/**
 * Typed field readers for JSON files we do not control (config.json, generation_config.json,
 * tokenizer_config.json, adapter_config.json, safetensors headers). Every error names the file
 * and the field, and says what was expected and what was found, so a user with a broken
 * checkpoint knows which line to fix.
 */

import { parseJsonFile } from "@ssb/durable-files";

export type JsonObject = { [key: string]: unknown };

export class ModelFileError extends Error {
  readonly file: string;
  readonly field: string | undefined;
  constructor(file: string, message: string, field?: string) {
    super(field === undefined ? `${file}: ${message}` : `${file}: field "${field}": ${message}`);
    this.name = "ModelFileError";
    this.file = file;
    this.field = field;
  }
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Short description of a found value for error messages (never the whole value). */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing (field missing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  return `${typeof value} ${text.length > 60 ? `${text.slice(0, 57)}...` : text}`;
}

export function expectObject(value: unknown, file: string, field?: string): JsonObject {
  if (!isJsonObject(value)) {
    throw new ModelFileError(file, `expected a JSON object, found ${describeValue(value)}`, field);
  }
  return value;
}

/**
 * JSON.parse with the place of a mistake: @ssb/durable-files' parser says `file:line:column: not valid JSON
 * (reason)` (a hand-edited config.json's trailing comma, a NaN written by Python, an empty file), which is
 * kept as the message of a ModelFileError for `file`.
 */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return parseJsonFile(text, file);
  } catch (error) {
    const said = error instanceof Error ? error.message : String(error);
    const refusal = new ModelFileError(file, "not valid JSON");
    if (said.startsWith(file)) refusal.message = said;
    else refusal.message = `${file}: not valid JSON (${said})`;
    throw refusal;
  }
}

/** A reader bound to one object in one file; `prefix` makes nested field names like `rope_scaling.factor`. */
export interface FieldReader {
  readonly file: string;
  readonly object: JsonObject;
  has(key: string): boolean;
  /** Present and not null. */
  present(key: string): boolean;
  requiredInt(key: string, min?: number): number;
  optionalInt(key: string, fallback: number, min?: number): number;
  maybeInt(key: string, min?: number): number | undefined;
  requiredNumber(key: string): number;
  optionalNumber(key: string, fallback: number): number;
  maybeNumber(key: string): number | undefined;
  optionalBoolean(key: string, fallback: boolean): boolean;
  requiredString(key: string): string;
  maybeString(key: string): string | undefined;
  /** A number or a list of numbers (eos_token_id); `[]` when absent or null. */
  intList(key: string): number[];
  maybeStringList(key: string): string[] | undefined;
  nested(key: string): FieldReader | undefined;
  fail(key: string, message: string): never;
}

export function fieldReader(object: JsonObject, file: string, prefix = ""): FieldReader {
  const name = (key: string): string => `${prefix}${key}`;
  const fail = (key: string, message: string): never => {
    throw new ModelFileError(file, message, name(key));
  };
  const expected = (key: string, what: string): never =>
    fail(key, `expected ${what}, found ${describeValue(object[key])}`);
  const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
  const checkMin = (key: string, v: number, min: number | undefined): number => {
    if (min !== undefined && v < min) fail(key, `expected an integer >= ${min}, found ${v}`);
    return v;
  };
  const present = (key: string): boolean => object[key] !== undefined && object[key] !== null;

  const reader: FieldReader = {
    file,
    object,
    has: (key) => Object.hasOwn(object, key),
    present,
    requiredInt(key, min) {
      const v = object[key];
      if (!isInt(v)) return expected(key, "an integer");
      return checkMin(key, v, min);
    },
    optionalInt(key, fallback, min) {
      return present(key) ? reader.requiredInt(key, min) : fallback;
    },
    maybeInt(key, min) {
      return present(key) ? reader.requiredInt(key, min) : undefined;
    },
    requiredNumber(key) {
      const v = object[key];
      if (typeof v !== "number" || !Number.isFinite(v)) return expected(key, "a finite number");
      return v;
    },
    optionalNumber(key, fallback) {
      return present(key) ? reader.requiredNumber(key) : fallback;
    },
    maybeNumber(key) {
      return present(key) ? reader.requiredNumber(key) : undefined;
    },
    optionalBoolean(key, fallback) {
      if (!present(key)) return fallback;
      const v = object[key];
      if (typeof v !== "boolean") return expected(key, "true or false");
      return v;
    },
    requiredString(key) {
      const v = object[key];
      if (typeof v !== "string") return expected(key, "a string");
      return v;
    },
    maybeString(key) {
      return present(key) ? reader.requiredString(key) : undefined;
    },
    intList(key) {
      const v = object[key];
      if (v === undefined || v === null) return [];
      if (isInt(v)) return [checkMin(key, v, 0)];
      if (Array.isArray(v) && v.every(isInt)) {
        for (const item of v) checkMin(key, item, 0);
        return [...v];
      }
      return expected(key, "an integer or a list of integers");
    },
    maybeStringList(key) {
      const v = object[key];
      if (v === undefined || v === null) return undefined;
      if (Array.isArray(v) && v.every((item) => typeof item === "string")) return [...v];
      return expected(key, "a list of strings");
    },
    nested(key) {
      const v = object[key];
      if (v === undefined || v === null) return undefined;
      if (!isJsonObject(v)) return expected(key, "an object");
      return fieldReader(v, file, `${name(key)}.`);
    },
    fail,
  };
  return reader;
}
