import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { cudaProviderInstalled } from "@ssb/rollout";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DoctorCheck, doctorPasses, formatDoctor, runDoctor } from "./doctor.js";
import { type MainIo, main } from "./main.js";

let dir: string;
let checks: DoctorCheck[];

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "ssb-doctor-test-"));
  checks = await runDoctor();
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const find = (area: DoctorCheck["area"], name: string): DoctorCheck | undefined =>
  checks.find((c) => c.area === area && c.name === name);

/** Whether an optional package resolves from the cli package (where the doctor's imports resolve it). */
function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

function capture(): { io: MainIo; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const stderr = {
    write: (text: string) => {
      err += text;
      return true;
    },
  } as unknown as MainIo["stderr"];
  const stdout = (text: string): void => {
    out += text;
  };
  return { io: { stdout, stderr }, out: () => out, err: () => err };
}

describe("runDoctor", () => {
  it("runs generation on the CPU, starts the wasm training backend and round-trips a ZSTD store", () => {
    expect(find("machine", "host")?.detail).toMatch(/\d+ cores, [\d.]+ GiB, .*Node v\d+/);
    expect(find("generation", "cpu")).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^onnxruntime-node \d+\.\d+\.\d+: decoded 8 greedy tokens/),
    });
    expect(find("training", "wasm")).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/tfjs-backend-wasm/),
    });
    expect(find("training", "auto")?.ok).toBe(true);
    expect(find("logit store", "zstd")).toMatchObject({ ok: true });
    expect(doctorPasses(checks)).toBe(true);
  });

  it("says what is missing for the providers and backends this machine lacks", () => {
    if (!cudaProviderInstalled())
      expect(find("generation", "cuda")).toMatchObject({
        ok: false,
        detail: expect.stringMatching(
          /CUDA execution provider is not installed.*ONNXRUNTIME_NODE_INSTALL=cuda12/,
        ),
      });
    if (!installed("@tensorflow/tfjs-node"))
      expect(find("training", "tfjs-node")).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/not installed; npm install @tensorflow\/tfjs-node@\d/),
      });
    // Every check has a verdict line; native errors' line breaks are folded into it.
    const text = formatDoctor(checks);
    expect(text.split("\n").filter((l) => /^ {2}[✓✗]/.test(l))).toHaveLength(checks.length - 1);
    for (const c of checks) expect(c.detail).not.toMatch(/\n/);
  });

  it("fails, naming the folder, when the model it is given is neither an ONNX folder nor a checkpoint", async () => {
    writeFileSync(path.join(dir, "notes.txt"), "not a model\n");
    const bad = await runDoctor({ model: dir });
    expect(bad.find((c) => c.area === "generation")).toMatchObject({
      ok: false,
      detail: expect.stringContaining(`${dir}: neither an ONNX folder nor a checkpoint`),
    });
    expect(doctorPasses(bad)).toBe(false);
  }, 60_000);
});

describe("ssb doctor", () => {
  it("prints the checks as JSON and exits 1 when the pipeline cannot run; refuses stray arguments", async () => {
    const c = capture();
    expect(await main(["doctor", "--model", dir, "--json"], c.io)).toBe(1);
    const printed = JSON.parse(c.out()) as DoctorCheck[];
    expect(printed.find((x) => x.area === "generation")?.ok).toBe(false);
    const stray = capture();
    expect(await main(["doctor", "now"], stray.io)).toBe(2);
    expect(stray.err()).toMatch(/unexpected argument "now"[\s\S]*ssb doctor --help/);
    const missing = capture();
    expect(await main(["doctor", "--model", path.join(dir, "nope")], missing.io)).toBe(2);
    expect(missing.err()).toMatch(/--model .*nope: no such/);
  }, 60_000);
});
