/** A journal whose write fails (a full disk) still knows which pairs are on disk. */
import * as fs from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { openRolloutJournal, type RolloutRecord } from "./rollout-journal.js";

const failing = { on: false };
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  return {
    ...real,
    writeSync: (...args: Parameters<typeof real.writeSync>) => {
      if (failing.on)
        throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
      return real.writeSync(...args);
    },
  };
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-journal-enospc-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rec = (sampleIndex: number): RolloutRecord => ({
  problemId: "p",
  sampleIndex,
  text: "t",
  tokenIds: [1],
  finishReason: "stop",
  promptTokens: 1,
  sampling: {},
  seed: 0,
  modelId: "m",
});

it("a pair whose write failed is not taken as written: appending it again writes it", () => {
  const file = path.join(dir, "full.jsonl");
  const j = openRolloutJournal(file, { s: 1 });
  j.append([rec(0)]);
  failing.on = true;
  expect(() => j.append([rec(1)])).toThrow(/ENOSPC/);
  failing.on = false;
  expect(j.has("p", 1)).toBe(false);
  // Before: skipped as "already written" (returned 1), and the record never reached the file.
  expect(j.append([rec(1)])).toBe(0);
  j.close();
  const lines = fs.readFileSync(file, "utf8").split("\n").filter(Boolean);
  expect(lines.map((l) => JSON.parse(l).sampleIndex)).toEqual([0, 1]);
});
