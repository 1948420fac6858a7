import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { buildSyntheticBase, loadBase } from "../test/synthetic.js";
import { selectBackend } from "./backend.js";
import { resolveTrainConfig } from "./train-config.js";
import { NonFiniteLossError, train } from "./trainer.js";
import { exampleFromPromptAndReply } from "./training-example.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("non-finite guard", () => {
  it("stops at the first non-finite loss and names the last good checkpoint", async () => {
    await selectBackend("wasm", () => {});
    const dir = mkdtempSync(path.join(tmpdir(), "distill-nan-"));
    dirs.push(dir);
    const model = await loadBase(await buildSyntheticBase(path.join(dir, "base"), 4));
    const teacher = (bad: boolean) => ({
      k: 2,
      topkIds: Int32Array.from([5, 6, 7, 8]),
      topkLogits: Float32Array.from(bad ? [Number.NaN, 0, 1, 0] : [1, 0, 1, 0]),
      logSumExp: Float32Array.from([6, 6]),
    });
    // One poisoned example among three; the seeded order decides at which step it comes up.
    const examples = [
      exampleFromPromptAndReply("good-1", [1, 2], [3, 4], teacher(false)),
      exampleFromPromptAndReply("good-2", [1, 2], [3, 4], teacher(false)),
      exampleFromPromptAndReply("bad", [1, 2], [3, 4], teacher(true)),
    ];
    const config = resolveTrainConfig({
      batchSize: 1,
      epochs: 1,
      checkpointEvery: 1,
      lora: { r: 2, alpha: 2 },
      bucketByLength: false,
    });
    const out = path.join(dir, "out");
    const error = await train({ model, examples, config, outDir: out, progress: false, log: () => {} }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(NonFiniteLossError);
    const stopped = error as NonFiniteLossError;
    if (stopped.step > 0) {
      expect(stopped.lastCheckpoint).toMatch(/step-0+\d$/);
      expect(
        existsSync(path.join(stopped.lastCheckpoint as string, "adapter", "adapter_model.safetensors")),
      ).toBe(true);
    } else expect(stopped.lastCheckpoint).toBeNull();
    expect(existsSync(path.join(out, "adapter"))).toBe(false);
  });
});
