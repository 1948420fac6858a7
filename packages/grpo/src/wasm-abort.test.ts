/**
 * A wasm heap abort inside a round's update (simulated: the real one needs gigabytes) reaches the caller as an
 * error naming the round, the micro-batch and the fix, not as wasm's bare "Aborted()".
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { alternatingRewards, tinyRef } from "../test/fixtures.js";
import { resolveGrpoConfig } from "./grpo-config.js";
import { runGrpo } from "./run-grpo.js";

vi.mock("./grpo-step.js", async (importOriginal) => {
  const original = await importOriginal<typeof import("./grpo-step.js")>();
  return {
    ...original,
    policyGradients: () => {
      throw new Error("Aborted(). Build with -sASSERTIONS for more info.");
    },
  };
});

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-abort-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("a wasm abort during an update", () => {
  it("is reported with the round, the micro-batch shape and what to change", async () => {
    const run = runGrpo({
      modelDir: tinyRef,
      problems: [{ id: "a", question: "1 + 1?", answer: "2" }],
      outDir: path.join(tmp, "out"),
      config: resolveGrpoConfig({
        steps: 1,
        problemsPerStep: 1,
        groupSize: 4,
        sampling: { maxNewTokens: 4 },
        lora: { r: 2, alpha: 4 },
      }),
      reward: alternatingRewards,
      backend: "wasm",
      progress: false,
      log: () => {},
    });
    await expect(run).rejects.toThrow(
      /^round 1: the tfjs wasm backend ran out of its heap \(capped at 4 GiB; Aborted\(\)\. Build with -sASSERTIONS for more info\.\) on a micro-batch of up to 4 sequences x \d+ tokens \(\d+ reply tokens\)\. Lower microBatchTokens \(now 2048; .*no checkpoint was written yet\.$/,
    );
  });
});
