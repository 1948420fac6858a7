import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { openLogitStore } from "@ssb/logit-store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DistillFromStoreResult, distillFromStore } from "./distill-from-store.js";

let dir: string;
let result: DistillFromStoreResult;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ssb-example-kd-"));
  result = await distillFromStore({ workDir: dir, examples: 16, replyLength: 10, epochs: 6 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("the logit store feeding another distillation job", () => {
  it("stores one top-k row per reply token, with the teacher's metadata", async () => {
    expect(result.rowsStored).toBe(16 * 10);
    const store = await openLogitStore(result.storeDir);
    expect(store.meta.modelId).toBe("random-teacher-h64");
    expect(store.meta.k).toBe(8);
    expect(store.size).toBe(16);
    store.close();
  });

  it("the student trained from the store alone moves toward the teacher", () => {
    expect(result.lastEpochLoss).toBeLessThan(0.75 * result.firstEpochLoss);
    expect(result.agreementAfter).toBeGreaterThan(result.agreementBefore + 0.15);
    expect(existsSync(path.join(result.adapterDir, "adapter_model.safetensors"))).toBe(true);
  });
});
