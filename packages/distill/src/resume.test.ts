import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { openSafetensors } from "@ssb/model";
import { afterEach, describe, expect, it } from "vitest";
import { maxAbsDiff } from "../test/fixture.js";
import { buildSyntheticKd } from "../test/synthetic.js";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function cli(args: string[]): ChildProcess {
  // Own process group: pnpm -> tsx -> node, and the kill must reach the node process that trains.
  return spawn("pnpm", ["exec", "tsx", "src/cli.ts", "train", ...args], {
    cwd: packageDir,
    stdio: ["ignore", "ignore", "pipe"],
    detached: true,
  });
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

async function adapterTensors(dir: string): Promise<Map<string, Float32Array>> {
  const reader = await openSafetensors(path.join(dir, "adapter", "adapter_model.safetensors"));
  const out = new Map<string, Float32Array>();
  for (const name of reader.names()) out.set(name, (await reader.readFloat32(name)).data);
  await reader.close();
  return out;
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("SIGKILL mid-run, then --resume", () => {
  it("reproduces the uninterrupted run's adapter", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "distill-resume-"));
    dirs.push(dir);
    const data = await buildSyntheticKd(dir, { embedScale: 4 });
    const common = [
      "--model",
      data.modelDir,
      "--pairs",
      data.pairsFile,
      "--logits",
      data.logitsDir,
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
    const target = path.join(killedOut, "checkpoints", "step-00000008", "trainer_state.json");
    while (!existsSync(target) && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    process.kill(-(child.pid as number), "SIGKILL");
    const killed = await exit;
    expect(killed.signal).toBe("SIGKILL");
    expect(existsSync(path.join(killedOut, "adapter"))).toBe(false); // it really stopped mid-run

    const resumed = await finished(cli([...common, "--out", killedOut, "--resume"]));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resumed from .*step-000000(08|12|16|20|24)/);

    const a = await adapterTensors(path.join(dir, "straight"));
    const b = await adapterTensors(killedOut);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, values] of a)
      expect(maxAbsDiff(values, b.get(name) as Float32Array), name).toBeLessThan(1e-6);
  }, 120_000);
});
