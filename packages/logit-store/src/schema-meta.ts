import { LogitStoreError } from "./errors.js";

/**
 * The on-disk format version this code writes by default. Version 2 stores float16 logits as steps from the row's
 * top logit (see logit-steps.ts); version 1 stored them as plain float16 values. Float32 stores are laid out
 * the same in both. This code reads and appends to both versions.
 */
export const FORMAT_VERSION = 2;

/** Versions this code reads and writes. */
export const FORMAT_VERSIONS: readonly number[] = [1, 2];

export type LogitDtype = "float16" | "float32";

/** What a store holds: which model produced the logits and how they are laid out. Stored in every shard's schema. */
export interface LogitSchemaMeta {
  /** Teacher model identifier (a hub id or a path), for provenance. */
  modelId: string;
  /** Hash of the tokenizer, so ids are never read against another vocabulary. */
  tokenizerHash: string;
  /** Full vocabulary size; every id must be in [0, vocabSize). */
  vocabSize: number;
  /** Entries kept per token. */
  k: number;
  /** Storage type of the top-k logits. */
  dtype: LogitDtype;
  /** Temperature the teacher sampled at (the stored logits are always raw, i.e. at temperature 1). */
  captureTemperature: number;
  /** Format version of the store (FORMAT_VERSION for new stores unless the writer is given another). */
  formatVersion: number;
}

/** Metadata as given to the writer: the format version is filled in when absent. */
export type LogitSchemaMetaInput = Omit<LogitSchemaMeta, "formatVersion"> & { formatVersion?: number };

/** Every metadata field, in the order they are compared and written (the writer refuses any other). */
export const META_KEYS: readonly (keyof LogitSchemaMeta)[] = [
  "modelId",
  "tokenizerHash",
  "vocabSize",
  "k",
  "dtype",
  "captureTemperature",
  "formatVersion",
];

/** Checks field types and ranges; `where` names the source (a file, "writer options") in the error. */
export function validateMeta(input: unknown, where: string): LogitSchemaMeta {
  if (typeof input !== "object" || input === null) {
    throw new LogitStoreError(`${where}: expected a metadata object, found ${typeof input}`);
  }
  const m = input as Record<string, unknown>;
  const str = (key: string): string => {
    const v = m[key];
    if (typeof v !== "string")
      throw new LogitStoreError(`${where}: field "${key}" must be a string, found ${show(v)}`);
    return v;
  };
  const int = (key: string, min: number, max: number): number => {
    const v = m[key];
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      throw new LogitStoreError(
        `${where}: field "${key}" must be an integer in [${min}, ${max}], found ${show(v)}`,
      );
    }
    return v;
  };
  const dtype = m.dtype;
  if (dtype !== "float16" && dtype !== "float32") {
    throw new LogitStoreError(`${where}: field "dtype" must be "float16" or "float32", found ${show(dtype)}`);
  }
  const temp = m.captureTemperature;
  if (typeof temp !== "number" || !Number.isFinite(temp) || temp < 0) {
    throw new LogitStoreError(
      `${where}: field "captureTemperature" must be a finite number >= 0, found ${show(temp)}`,
    );
  }
  const vocabSize = int("vocabSize", 1, 2 ** 31 - 1);
  const meta: LogitSchemaMeta = {
    modelId: str("modelId"),
    tokenizerHash: str("tokenizerHash"),
    vocabSize,
    k: int("k", 1, Math.min(vocabSize, 65536)),
    dtype,
    captureTemperature: temp,
    formatVersion: m.formatVersion === undefined ? FORMAT_VERSION : int("formatVersion", 1, 1_000_000),
  };
  if (!FORMAT_VERSIONS.includes(meta.formatVersion)) {
    throw new LogitStoreError(
      `${where}: format version ${meta.formatVersion} is not supported (this code reads and writes versions ${FORMAT_VERSIONS.join(", ")})`,
    );
  }
  return meta;
}

/** Throws naming every field that differs, with both values. */
export function assertSameMeta(expected: LogitSchemaMeta, found: LogitSchemaMeta, where: string): void {
  const diffs = META_KEYS.filter((key) => expected[key] !== found[key]).map(
    (key) => `${key}: expected ${show(expected[key])}, found ${show(found[key])}`,
  );
  if (diffs.length > 0) throw new LogitStoreError(`${where}: metadata mismatch (${diffs.join("; ")})`);
}

/** Arrow schema metadata is string -> string; one key per field keeps it readable from any language. */
export function metaToArrowMetadata(meta: LogitSchemaMeta): Map<string, string> {
  return new Map(META_KEYS.map((key) => [key, String(meta[key])]));
}

export function metaFromArrowMetadata(md: Map<string, string>, where: string): LogitSchemaMeta {
  const get = (key: string): string => {
    const v = md.get(key);
    if (v === undefined) throw new LogitStoreError(`${where}: schema metadata lacks key "${key}"`);
    return v;
  };
  const num = (key: string): number => {
    const s = get(key);
    const v = Number(s);
    if (s.trim() === "" || Number.isNaN(v)) {
      throw new LogitStoreError(`${where}: schema metadata "${key}" is not a number: ${show(s)}`);
    }
    return v;
  };
  return validateMeta(
    {
      modelId: get("modelId"),
      tokenizerHash: get("tokenizerHash"),
      vocabSize: num("vocabSize"),
      k: num("k"),
      dtype: get("dtype"),
      captureTemperature: num("captureTemperature"),
      formatVersion: num("formatVersion"),
    },
    where,
  );
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
