/** runTraining's input fingerprints: the data file hashed whole, also past readFileSync's 2 GiB limit. */
import { createHash } from "node:crypto";
import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_DIR } from "../test/fixture.js";
import { trainingInputs } from "./run-training.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "distill-inputs-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("trainingInputs", () => {
  it("fingerprints the data file by its whole content's SHA-256, as checkpoints recorded it before", () => {
    const dataFile = path.join(FIXTURE_DIR, "reference.json");
    const inputs = trainingInputs({ modelDir: FIXTURE_DIR, dataFile });
    const whole = createHash("sha256").update(readFileSync(dataFile)).digest("hex").slice(0, 32);
    expect(inputs.data).toBe(whole);
  });

  it("reads a data file over 2 GiB (readFileSync refused it, stopping the run after the data had loaded)", () => {
    const dataFile = path.join(dir, "big.jsonl");
    const fd = openSync(dataFile, "w");
    ftruncateSync(fd, 2_200_000_000); // sparse: no disk used, zeros read back
    closeSync(fd);
    // SHA-256 of 2,200,000,000 zero bytes.
    expect(trainingInputs({ modelDir: FIXTURE_DIR, dataFile }).data).toBe("5a937555b4853ad95365d9b319cf9657");
  }, 60_000);
});
