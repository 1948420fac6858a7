import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { adapterTensors } from "../test/adapter-tensors.js";
import { maxAbs, maxAbsDiff } from "../test/fixture.js";
import { buildSyntheticKd } from "../test/synthetic.js";
import { splitStep } from "./data-parallel.js";
import { runTraining } from "./run-training.js";
import { resolveTrainConfig } from "./train-config.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("data-parallel worker threads", () => {
  it("splitStep deals examples round-robin with their row weights", () => {
    const counts = [2, 1, 3, 1];
    const weights = Float32Array.from([0, 1, 2, 3, 4, 5, 6]);
    const shares = splitStep([[0, 1, 2, 3]], (i) => counts[i] as number, weights, 2);
    expect(shares[0]?.microBatches).toEqual([[0, 2]]);
    expect(Array.from(shares[0]?.weights ?? [])).toEqual([0, 1, 3, 4, 5]);
    expect(Array.from(shares[1]?.weights ?? [])).toEqual([2, 6]);
  });

  it("2 threads train the same adapter as 1 thread (up to float summation order)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "distill-dp-"));
    dirs.push(dir);
    const data = await buildSyntheticKd(dir, { embedScale: 4 });
    const run = (workers: number) =>
      runTraining({
        modelDir: data.modelDir,
        dataFile: data.pairsFile,
        logitsDir: data.logitsDir,
        outDir: path.join(dir, `w${workers}`),
        config: resolveTrainConfig({
          promptMode: "raw",
          epochs: 3,
          lora: { r: 8, alpha: 16 },
          optimizer: { lr: 1e-2 },
          workers,
          checkpointEvery: 0,
        }),
        backend: "wasm",
        progress: false,
        log: () => {},
      });
    const one = await run(1);
    const two = await run(2);
    expect(two.lastLoss).toBeCloseTo(one.lastLoss, 4);
    const a = await adapterTensors(one.savedTo);
    const b = await adapterTensors(two.savedTo);
    for (const [name, values] of a)
      expect(maxAbsDiff(values, b.get(name) as Float32Array), name).toBeLessThan(
        1e-3 * Math.max(1e-3, maxAbs(values)),
      );
  }, 60_000);
});
