/** Sampling settings (transformers' names and meanings) and their validation. */
import { RolloutError } from "./errors.js";
import { refuseUnknownKeys } from "./unknown-keys.js";

export interface SamplingParams {
  /** 0 means greedy (argmax); otherwise logits are divided by it. Default 1. */
  temperature: number;
  /** Keep the k highest logits (ties at the k-th value kept, as transformers does); 0 = off. Default 0. */
  topK: number;
  /** Nucleus: keep the smallest set of top tokens whose probability reaches topP; 1 = off. Default 1. */
  topP: number;
  /** Drop tokens whose probability is below minP × the top token's; 0 = off. Default 0. */
  minP: number;
  /**
   * transformers' repetition penalty over the prompt and the reply so far: a seen token's logit is divided
   * by it when positive and multiplied by it when negative; 1 = off. Default 1.
   */
  repetitionPenalty: number;
  /** Most tokens to generate (the stop token counts). Default 256. */
  maxNewTokens: number;
  /** Token ids that end a sequence (kept as its last token); finish reason "stop". */
  stopTokenIds: number[];
  /** Strings that end a sequence once the reply text contains one; the text is cut before it. */
  stopStrings: string[];
  /** Run seed; each (problem, sample) draws from its own stream under it. Default 0. */
  seed: number;
}

export const DEFAULT_SAMPLING: SamplingParams = {
  temperature: 1,
  topK: 0,
  topP: 1,
  minP: 0,
  repetitionPenalty: 1,
  maxNewTokens: 256,
  stopTokenIds: [],
  stopStrings: [],
  seed: 0,
};

/** The settings a sampling object may hold. */
export const SAMPLING_KEYS: readonly string[] = Object.keys(DEFAULT_SAMPLING);

/** Merge `partial` over `base` and check every field; `where` names the source in errors. */
export function resolveSampling(
  partial: Partial<SamplingParams> | undefined,
  base: SamplingParams = DEFAULT_SAMPLING,
  where = "sampling",
): SamplingParams {
  if (partial !== undefined && (typeof partial !== "object" || partial === null || Array.isArray(partial)))
    throw new RolloutError(
      `${where}: must be an object of sampling settings, found ${JSON.stringify(partial)}`,
    );
  // A misspelled setting (temprature) would otherwise leave the default in force without a word.
  refuseUnknownKeys(partial ?? {}, SAMPLING_KEYS, where);
  const p: SamplingParams = { ...base, ...dropUndefined(partial ?? {}) };
  const fail = (field: string, expected: string, value: unknown): never => {
    throw new RolloutError(`${where}: "${field}" must be ${expected}, found ${JSON.stringify(value)}`);
  };
  if (!(Number.isFinite(p.temperature) && p.temperature >= 0))
    fail("temperature", "a number >= 0", p.temperature);
  if (!(Number.isInteger(p.topK) && p.topK >= 0)) fail("topK", "an integer >= 0", p.topK);
  if (!(p.topP > 0 && p.topP <= 1)) fail("topP", "in (0, 1]", p.topP);
  if (!(p.minP >= 0 && p.minP <= 1)) fail("minP", "in [0, 1]", p.minP);
  if (!(Number.isFinite(p.repetitionPenalty) && p.repetitionPenalty > 0))
    fail("repetitionPenalty", "a number > 0", p.repetitionPenalty);
  if (!(Number.isInteger(p.maxNewTokens) && p.maxNewTokens >= 1))
    fail("maxNewTokens", "an integer >= 1", p.maxNewTokens);
  if (!Array.isArray(p.stopTokenIds) || p.stopTokenIds.some((t) => !Number.isInteger(t) || t < 0))
    fail("stopTokenIds", "a list of token ids", p.stopTokenIds);
  if (!Array.isArray(p.stopStrings) || p.stopStrings.some((s) => typeof s !== "string" || s === ""))
    fail("stopStrings", "a list of non-empty strings", p.stopStrings);
  if (!(Number.isSafeInteger(p.seed) && p.seed >= 0)) fail("seed", "an integer in [0, 2^53)", p.seed);
  return p;
}

/** `o` without its undefined fields, so a spread over defaults keeps the defaults for them. */
export function dropUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** A stored sampling object with its stop lists as sets (sorted, without repeats), for sameSampling. */
function stopsAsSets(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return JSON.stringify(value);
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const key of ["stopStrings", "stopTokenIds"]) {
    const list = out[key];
    if (Array.isArray(list))
      out[key] = [...new Set(list.map((v) => JSON.stringify(v)))].sort().map((v) => JSON.parse(v));
  }
  return JSON.stringify(Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1))));
}

/**
 * Whether two sampling settings sample the same records: equal but for the order (and repeats) of their stop
 * strings and stop ids, which only say when a reply ends. A resume given `--stop "." --stop "shells"` in the
 * other order is the same job. (Where two stop strings end a reply at the same step the job resumes with the
 * stored order, so even which one `stopString` names is as before.)
 */
export function sameSampling(stored: unknown, wanted: unknown): boolean {
  return stopsAsSets(stored) === stopsAsSets(wanted);
}
