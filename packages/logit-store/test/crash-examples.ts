import type { LogitSchemaMetaInput } from "../src/index.js";
import { type SyntheticRows, syntheticRows } from "./synthetic-logits.js";

export const CRASH_META: LogitSchemaMetaInput = {
  modelId: "crash-test",
  tokenizerHash: "t",
  vocabSize: 151936,
  k: 8,
  dtype: "float16",
  captureTemperature: 0.6,
};

/** Example `ex-<i>` always has the same rows, so a reader can check what the killed writer wrote. */
export function crashExampleRows(i: number): SyntheticRows {
  return syntheticRows(1 + ((i * 37) % 150), { vocabSize: CRASH_META.vocabSize, k: CRASH_META.k, seed: i });
}
