import { describe, expect, it } from "vitest";
import { useTempDirs } from "../test/temp-dir.js";
import { captureTopk } from "./capture-topk.js";
import { tailMass } from "./logit-math.js";
import { openLogitStore } from "./reader.js";
import type { LogitDtype, LogitSchemaMetaInput } from "./schema-meta.js";
import { openLogitStoreWriter } from "./writer.js";

const meta = (k: number, dtype: LogitDtype, vocabSize = 100): LogitSchemaMetaInput => ({
  modelId: "test/teacher",
  tokenizerHash: "sha256:abc",
  vocabSize,
  k,
  dtype,
  captureTemperature: 1,
});

describe("rows must be self-consistent", () => {
  const tempDir = useTempDirs();

  for (const dtype of ["float32", "float16"] as const) {
    it(`${dtype}: refuses a logSumExp below the log-sum-exp of the row's own top-k logits`, async () => {
      const w = await openLogitStoreWriter(tempDir(), meta(3, dtype));
      // ln(3 e^3) = 4.0986: a full-vocabulary log-sum-exp of 3 is impossible (it read back as log-probs 0).
      const bad = { tokenIds: [1], topkIds: [1, 2, 3], topkLogits: [3, 3, 3], logSumExp: [3] };
      expect(() => w.writeExample("a", bad)).toThrow(
        /writeExample\("a"\): logSumExp\[0\] \(position 0\) = 3 is below the log-sum-exp 4\.09861/,
      );
      expect(() => w.append("a", { ...bad, logSumExp: [4.09] })).toThrow(/below the log-sum-exp/);
      // Exactly the top-k log-sum-exp (the whole vocabulary is in the top k) is fine.
      w.writeExample("b", { ...bad, logSumExp: [3 + Math.log(3)] });
      await w.close();
    });

    it(`${dtype}: refuses a logSumExp above top logit + ln(vocabSize), e.g. probabilities stored as logits`, async () => {
      const w = await openLogitStoreWriter(tempDir(), meta(3, dtype));
      // softmax outputs in place of logits, with the true log-sum-exp (20): no 100 logits of at most 0.7 reach it.
      const probs = { tokenIds: [1], topkIds: [1, 2, 3], topkLogits: [0.7, 0.2, 0.05], logSumExp: [20] };
      expect(() => w.writeExample("p", probs)).toThrow(
        /writeExample\("p"\): logSumExp\[0\] \(position 0\) = 20 is above the row's top logit 0\.(7|69)\d* \+ ln\(vocabSize 100\), the most a log-sum-exp over the vocabulary can be; topkLogits must be the raw logits/,
      );
      // A row of masked (-Infinity) logits cannot have a finite log-sum-exp either.
      const masked = Array(3).fill(Number.NEGATIVE_INFINITY);
      expect(() => w.writeExample("m", { ...probs, topkLogits: masked, logSumExp: [1] })).toThrow(
        /logSumExp\[0\] \(position 0\) = 1 is above the row's top logit -Infinity/,
      );
      // The ceiling itself is fine: 100 equal logits of 0.7.
      w.writeExample("ok", { ...probs, logSumExp: [0.7 + Math.log(100)] });
      // Log-probabilities with a log-sum-exp of 0 are rows too (vLLM returns those).
      w.writeExample("logprobs", { ...probs, topkLogits: [-0.4, -1.6, -3], logSumExp: [0] });
      await w.close();
    });

    it(`${dtype}: accepts genuine captured rows (top-k holding almost all the mass, large logits)`, async () => {
      const dir = tempDir();
      const vocab = 1000;
      const w = await openLogitStoreWriter(dir, meta(8, dtype, vocab));
      const logits = new Float32Array(vocab);
      for (let t = 0; t < 20; t++) {
        logits.fill(-60);
        // One dominant logit near the float16 limit's scale: the top-k log-sum-exp ~ the full one.
        logits[t] = 30 + t * 0.37;
        logits[t + 1] = 29.9 + t * 0.37;
        const row = captureTopk(logits, 8);
        w.append("real", {
          tokenIds: [row.topkIds[0]!],
          topkIds: row.topkIds,
          topkLogits: row.topkLogits,
          logSumExp: [row.logSumExp],
        });
        // The same row with its log-sum-exp rounded down to float32 (as an ONNX ReduceLogSumExp returns it).
        w.append(`f32-${t}`, {
          tokenIds: [row.topkIds[0]!],
          topkIds: row.topkIds,
          topkLogits: row.topkLogits,
          logSumExp: Float32Array.of(row.logSumExp * (1 - 2 ** -22)),
        });
        w.commitExample(`f32-${t}`);
      }
      w.commitExample("real");
      await w.close();
      const tails = tailMass((await openLogitStore(dir)).read("real"));
      // float16 rounds a logit near 37 by up to 2^-6, which moves the tail by up to ~1.6%.
      for (const m of tails) expect(m).toBeLessThan(dtype === "float16" ? 0.02 : 1e-3);
    });
  }

  it("float16: refuses a finite logit beyond float16's range instead of storing Infinity", async () => {
    const w = await openLogitStoreWriter(tempDir(), meta(2, "float16"));
    const rows = {
      tokenIds: [1, 1],
      topkIds: [1, 2, 1, 2],
      topkLogits: [2, 1, 70000, 1],
      logSumExp: [3, 70001],
    };
    expect(() => w.writeExample("big", rows)).toThrow(
      /writeExample\("big"\): topkLogits of token 1 \(position 1\) entry 0 = 70000 is outside the float16 store's finite range \(\|logit\| <= 65504\)/,
    );
    expect(() =>
      w.writeExample("neg", { ...rows, topkLogits: [2, -70000, 2, 1], logSumExp: [3, 3] }),
    ).toThrow(/entry 1 = -70000 is outside the float16/);
    // -Infinity (a masked token) stays allowed, and 65504 itself is finite.
    w.writeExample("ok", {
      ...rows,
      topkLogits: [2, Number.NEGATIVE_INFINITY, 65504, 1],
      logSumExp: [2, 65504],
    });
    await w.close();
  });

  it("float32: refuses a finite logit that would overflow float32", async () => {
    const w = await openLogitStoreWriter(tempDir(), meta(2, "float32"));
    expect(() =>
      w.writeExample("x", { tokenIds: [1], topkIds: [1, 2], topkLogits: [2, -1e39], logSumExp: [3] }),
    ).toThrow(/position 0\) entry 1 = -1e\+39 is outside the float32 store's finite range/);
    await w.close();
  });

  it("refuses a token id repeated within one token's top-k list", async () => {
    const w = await openLogitStoreWriter(tempDir(), meta(3, "float32"));
    const rows = {
      tokenIds: [1, 1],
      topkIds: [1, 2, 3, 4, 5, 4],
      topkLogits: [3, 2, 1, 3, 2, 1],
      logSumExp: [5, 5],
    };
    expect(() => w.writeExample("d", rows)).toThrow(
      /writeExample\("d"\): topkIds of token 1 \(position 1\) repeat token id 4 \(entry 2\)/,
    );
    // The same id in different tokens' lists is normal.
    w.writeExample("ok", { ...rows, topkIds: [1, 2, 3, 1, 2, 3] });
    await w.close();
  });

  it("refuses a position repeated within an example, in one call or across appends", async () => {
    const w = await openLogitStoreWriter(tempDir(), meta(1, "float32"));
    const one = (position: number) => ({
      positions: [position],
      tokenIds: [1],
      topkIds: [1],
      topkLogits: [1],
      logSumExp: [2],
    });
    const two = {
      positions: [4, 4],
      tokenIds: [1, 1],
      topkIds: [1, 1],
      topkLogits: [1, 1],
      logSumExp: [2, 2],
    };
    expect(() => w.writeExample("p", two)).toThrow(
      /writeExample\("p"\): position 4 \(positions\[1\]\) appears more than once/,
    );
    expect(() => w.append("q", two)).toThrow(/append\("q"\): position 4/);
    w.append("r", one(5));
    w.append("r", one(3)); // out of order is fine
    expect(() => w.append("r", one(5))).toThrow(
      /append\("r"\): position 5 \(positions\[0\]\) appears more than once/,
    );
    // Default positions continue the count (2 rows so far: 2), which is free here.
    w.append("r", { tokenIds: [1], topkIds: [1], topkLogits: [1], logSumExp: [2] });
    w.commitExample("r");
    // Other examples in the same record batch may use the same positions.
    w.writeExample("s", one(5));
    await w.close();
  });
});
