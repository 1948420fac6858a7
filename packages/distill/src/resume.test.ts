import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { adapterTensors } from "../test/adapter-tensors.js";
import { maxAbsDiff } from "../test/fixture.js";
import { buildSyntheticKd, type SyntheticKd } from "../test/synthetic.js";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function cli(args: string[]): ChildProcess {
  // Node itself with tsx as a loader: one process (a signal reaches the one that trains) and no pnpm start-up,
  // which on a loaded CI machine cost more than the training.
  return spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "train", ...args], {
    cwd: packageDir,
    stdio: ["ignore", "ignore", "pipe"],
  });
}

/** The step of the newest complete checkpoint under `out`, or 0. */
function newestCheckpoint(out: string): number {
  const root = path.join(out, "checkpoints");
  if (!existsSync(root)) return 0;
  const steps = readdirSync(root)
    .filter((n) => /^step-\d+$/.test(n) && existsSync(path.join(root, n, "trainer_state.json")))
    .map((n) => Number(n.slice("step-".length)));
  return Math.max(0, ...steps);
}

function finished(
  child: ChildProcess,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal, stderr })));
}

/** The flags naming a synthetic run's model, pairs and logits. */
const dataArgs = (data: SyntheticKd): string[] => [
  "--model",
  data.modelDir,
  "--pairs",
  data.pairsFile,
  "--logits",
  data.logitsDir,
];

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("SIGTERM mid-run (Ctrl-C's path), then --resume", () => {
  it("stops at the next step with a checkpoint and exits 130, without checkpoints to wait for", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "distill-sigterm-"));
    dirs.push(dir);
    const data = await buildSyntheticKd(dir, { embedScale: 4 });
    const out = path.join(dir, "out");
    // checkpointEvery 0: nothing but the steps themselves between signal and end (the case that once ran
    // to the last step before the handler did). Node directly, so the signal reaches the training process.
    const args = [...dataArgs(data), "--out", out];
    const settings = ["--prompt-mode", "raw", "--backend", "wasm", "--no-progress", "--set", "epochs=40"];
    const run = (extra: string[] = []) => cli([...args, ...settings, ...extra]);
    const child = run();
    const exit = finished(child);
    const metrics = path.join(out, "metrics.jsonl");
    while (
      !(existsSync(metrics) && readFileSync(metrics, "utf8").split("\n").length > 2) &&
      child.exitCode === null
    )
      await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGTERM");
    const stopped = await exit;
    expect(stopped.code, stopped.stderr).toBe(130);
    const at = /interrupted after step (\d+)\/(\d+); checkpoint .*step-(\d+)/.exec(stopped.stderr);
    expect(at, stopped.stderr).not.toBeNull();
    const [step, total] = [Number(at?.[1]), Number(at?.[2])];
    // Signalled after the second step: it stops within a step or two (it went on to step 50 of 80 before).
    expect(step).toBeLessThanOrEqual(10);
    expect(existsSync(path.join(out, "adapter"))).toBe(false);
    const resumed = await finished(run(["--resume"]));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(new RegExp(`resumed from .*step-0*${step}\\b`));
    expect(readFileSync(metrics, "utf8").trim().split("\n")).toHaveLength(total);
  }, 300_000);
});

describe("SIGKILL mid-run, then --resume", () => {
  it("reproduces the uninterrupted run's adapter", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "distill-resume-"));
    dirs.push(dir);
    const data = await buildSyntheticKd(dir, { embedScale: 4 });
    const common = [
      ...dataArgs(data),
      "--prompt-mode",
      "raw",
      "--backend",
      "wasm",
      "--no-progress",
      "--set",
      "epochs=15",
      "--set",
      "lora.r=8",
      "--set",
      "lora.dropout=0.1",
      "--set",
      "optimizer.lr=1e-2",
      "--set",
      "checkpointEvery=4",
      "--set",
      "keepCheckpoints=2",
    ];
    const straight = await finished(cli([...common, "--out", path.join(dir, "straight")]));
    expect(straight.code, straight.stderr).toBe(0);

    const killedOut = path.join(dir, "killed");
    const child = cli([...common, "--out", killedOut]);
    const exit = finished(child);
    // Any checkpoint from step 8 on (step 8's own is pruned at step 16: a poll starved by a loaded machine
    // may never see it).
    while (newestCheckpoint(killedOut) < 8 && child.exitCode === null)
      await new Promise((r) => setTimeout(r, 10));
    child.kill("SIGKILL");
    const killed = await exit;
    expect(killed.signal, killed.stderr).toBe("SIGKILL");
    expect(existsSync(path.join(killedOut, "adapter"))).toBe(false); // it really stopped mid-run

    // Without --resume the folder is refused, and the message says how to continue.
    const refused = await finished(cli([...common, "--out", killedOut]));
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(
      /already holds checkpoints .*resume it \(--resume, or resume: true from code\)/,
    );

    const resumed = await finished(cli([...common, "--out", killedOut, "--resume"]));
    expect(resumed.code, resumed.stderr).toBe(0);
    const from = Number(/resumed from .*step-(\d+)/.exec(resumed.stderr)?.[1]);
    expect(from, resumed.stderr).toBeGreaterThanOrEqual(8);
    expect(from % 4, resumed.stderr).toBe(0);

    const a = await adapterTensors(path.join(dir, "straight", "adapter"));
    const b = await adapterTensors(path.join(killedOut, "adapter"));
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, values] of a)
      expect(maxAbsDiff(values, b.get(name) as Float32Array), name).toBeLessThan(1e-6);
    // Three training runs: ~10 s alone, ~8x that beside the other packages' tests on a 2-core CI machine.
  }, 300_000);
});
