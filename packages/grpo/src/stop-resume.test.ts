/**
 * Ctrl-C on `ssb-grpo train`: the run stops after the current round with a checkpoint there, says so, exits
 * 130, and --resume goes on with the next round (metrics.jsonl then holds every round once). A real process
 * and a real SIGINT (Node with tsx as a loader, as @ssb/distill's resume tests): the handler only runs when
 * the event loop turns, which an in-process call would not show.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRef } from "../test/fixtures.js";
import { readGrpoMetrics } from "./grpo-metrics.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, "..");

function cli(args: string[]): ChildProcess {
  // Node itself (not pnpm): the signal reaches the process that trains.
  return spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "train", ...args], {
    cwd: packageDir,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
}

const checkpointSteps = (out: string): number[] =>
  readdirSync(path.join(out, "checkpoints"))
    .filter((n) => /^step-\d+$/.test(n))
    .map((n) => Number(n.slice("step-".length)));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ssb-grpo-sigint-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ssb-grpo train and SIGINT", () => {
  it("stops after the round in progress with a checkpoint, exits 130; --resume continues with the next round", async () => {
    const problems = path.join(dir, "problems.jsonl");
    await writeFile(
      problems,
      '{"id":"a","question":"1+1?","answer":"2"}\n{"id":"b","question":"2+3?","answer":"5"}\n',
    );
    const out = path.join(dir, "out");
    // Far more rounds than the test waits for, and no periodic checkpoint: the only one is the stop's.
    const sets = [
      "steps=1000",
      "groupSize=2",
      "problemsPerStep=1",
      "sampling.maxNewTokens=4",
      "checkpointEvery=1000",
    ];
    const args = [
      "--model",
      tinyRef,
      "--problems",
      problems,
      "--out",
      out,
      "--backend",
      "wasm",
      "--no-progress",
    ];
    const setArgs = sets.flatMap((s) => ["--set", s]);
    const child = cli([...args, ...setArgs]);
    const exit = finished(child);
    const metricsFile = path.join(out, "metrics.jsonl");
    // Signal once two rounds are done (their metrics written): the handlers are installed by then.
    while (!(existsSync(metricsFile) && readGrpoMetrics(metricsFile).length >= 2) && child.exitCode === null)
      await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill("SIGINT");
    const stopped = await exit;
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stderr).toContain("[grpo] SIGINT: stopping after this round");
    const rounds = readGrpoMetrics(metricsFile).map((m) => m.step);
    const last = rounds.length;
    expect(last).toBeGreaterThanOrEqual(2);
    expect(rounds).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(stopped.stderr).toMatch(
      new RegExp(
        `\\[grpo\\] interrupted after round ${last}/1000; checkpoint .*step-0*${last}; rerun with --resume`,
      ),
    );
    expect(checkpointSteps(out)).toEqual([last]);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ steps: last, interrupted: true });

    // Two more rounds (maxSteps is not part of the trajectory): every round once, none lost or repeated.
    const resumed = await finished(cli([...args, ...setArgs, "--resume", "--set", "maxSteps=2"]));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ resumedFrom: last, steps: last + 2 });
    expect(readGrpoMetrics(metricsFile).map((m) => m.step)).toEqual(
      Array.from({ length: last + 2 }, (_, i) => i + 1),
    );
    expect(readFileSync(metricsFile, "utf8").trim().split("\n")).toHaveLength(last + 2);
  }, 300_000);
});
