import type { SamplingParams } from "./types.js";

/** What a sampling setting must be: the one place the ranges live, for a config's fields and for CLI flags. */
export interface SamplingRule {
  /** True when the value is allowed (a missing optional field is checked by the caller). */
  ok: (value: unknown) => boolean;
  /** The allowed values in words, for the error message. */
  expected: string;
}

const isNumber = (v: unknown): v is number => typeof v === "number";

export const SAMPLING_RULES: Record<keyof SamplingParams, SamplingRule> = {
  temperature: { ok: (v) => isNumber(v) && v >= 0, expected: "a number >= 0" },
  maxNewTokens: { ok: (v) => Number.isInteger(v) && (v as number) >= 1, expected: "a positive integer" },
  topK: { ok: (v) => Number.isInteger(v) && (v as number) >= 0, expected: "an integer >= 0" },
  topP: { ok: (v) => isNumber(v) && v > 0 && v <= 1, expected: "a number in (0, 1]" },
  minP: { ok: (v) => isNumber(v) && v >= 0 && v <= 1, expected: "a number in [0, 1]" },
  repetitionPenalty: { ok: (v) => isNumber(v) && v > 0, expected: "a number > 0" },
};

/** Fields a run must set; the others may be left out. */
export const REQUIRED_SAMPLING_FIELDS: ReadonlySet<keyof SamplingParams> = new Set([
  "temperature",
  "maxNewTokens",
]);

export function isSamplingField(key: string): key is keyof SamplingParams {
  return Object.hasOwn(SAMPLING_RULES, key);
}
