/**
 * ropeInverseFrequencies against transformers' own values, recorded by python/record_rope_inv_freq.py from
 * ROPE_INIT_FUNCTIONS (and the models' default init) for real configs' rope parameters: Llama 3.2 / 3.1
 * (llama3, in the older `rope_scaling` and transformers 5's `rope_parameters` form), Qwen2.5 (default),
 * linear, and dynamic NTK at lengths up to and past max_position_embeddings. transformers computes them in
 * float32; ours are float64, so they agree to float32's precision.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseModelConfig } from "./config.js";
import { ropeInverseFrequencies } from "./rope.js";

interface Recorded {
  transformers: string;
  cases: Record<string, { config: Record<string, unknown>; inv_freq: Record<string, number[]> }>;
}

const recorded = JSON.parse(
  readFileSync(path.join(import.meta.dirname, "..", "test", "fixtures", "rope-inv-freq.json"), "utf8"),
) as Recorded;

describe(`ropeInverseFrequencies equals transformers ${recorded.transformers}'s`, () => {
  for (const [name, { config: json, inv_freq: byLength }] of Object.entries(recorded.cases)) {
    // The recorded fields are the rope-relevant ones; the sizes rope does not read are filled in.
    const sizes = { num_hidden_layers: 1, intermediate_size: 1, vocab_size: 1 };
    const config = parseModelConfig({ ...sizes, ...json }, `${name}/config.json`);
    for (const [length, expected] of Object.entries(byLength)) {
      it(`${name}${length === "init" ? "" : ` at sequence length ${length}`}`, () => {
        const ours = ropeInverseFrequencies(config, length === "init" ? undefined : Number(length));
        expect(ours.length).toBe(expected.length);
        let worst = 0;
        ours.forEach((v, i) => {
          worst = Math.max(worst, Math.abs(v - (expected[i] as number)) / (expected[i] as number));
        });
        expect(worst).toBeLessThan(1e-6);
      });
    }
  }
});
