/**
 * `ssb run` end to end on the real packages (no mocks): a scaled-down pipeline through every stage on the
 * committed default model, then the report, `--json`, SIGKILL in every stage with resumption to identical
 * outputs, a skip-everything rerun and `--from`.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { openLogitStore } from "@ssb/logit-store";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareWorkDirs } from "./compare-runs.js";
import { STAGES } from "./stages.js";
import { runCli, startCli, writeTinyConfig } from "./test-support.js";

let dir: string;
let config: string;
let firstRun: { stdout: string; stderr: string };

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "ssb-cli-e2e-"));
  config = writeTinyConfig(dir);
  firstRun = await runCli(["run", config, "--work", work(), "--json"]);
}, 240_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const work = () => path.join(dir, "work");
const readJson = (...p: string[]) => JSON.parse(readFileSync(path.join(work(), ...p), "utf8"));

describe("ssb run (scaled down, real model)", () => {
  it("completes every stage and prints a JSON summary", () => {
    const summary = JSON.parse(firstRun.stdout);
    expect(summary.ran).toEqual([...STAGES]);
    for (const stage of STAGES) expect(existsSync(path.join(work(), stage, "stage.json"))).toBe(true);
    expect(summary.accuracy.problems).toBe(12);
    for (const side of ["base", "student"]) {
      expect(summary.accuracy[side].lower).toBeLessThanOrEqual(summary.accuracy[side].estimate);
      expect(summary.accuracy[side].upper).toBeGreaterThanOrEqual(summary.accuracy[side].estimate);
    }
    // The same intervals as the eval stage's record (and the report, which reads the same summaries).
    const evalStats = readJson("eval", "stage.json").stats;
    expect(summary.accuracy.base).toEqual(evalStats.basePass1);
    expect(summary.accuracy.student).toEqual(evalStats.studentPass1);
    expect(firstRun.stderr).toMatch(/rollout .*\d+\/192/);
    // One uninterrupted session: the whole run's totals are that session's.
    const rollout = readJson("rollout", "stage.json").stats;
    expect(rollout.wholeRun).toEqual({ samples: 192, generatedTokens: rollout.generatedTokens });
  });

  it("trains a LoRA adapter on the curated pairs and their logits", () => {
    const curate = readJson("curate", "stage.json");
    expect(curate.stats.kept).toBeGreaterThan(0);
    const distill = readJson("distill", "stage.json");
    expect(distill.stats.trained).toBe(true);
    expect(existsSync(path.join(work(), "distill", "adapter", "adapter_model.safetensors"))).toBe(true);
    const adapterConfig = readJson("distill", "adapter", "adapter_config.json");
    expect(adapterConfig.r).toBe(32);
    expect(adapterConfig.lora_alpha).toBe(32);
    expect(existsSync(path.join(work(), "eval", "student-onnx", "model.onnx"))).toBe(true);
  });

  it("writes report.md and a self-contained report.html", () => {
    const md = readFileSync(path.join(work(), "report", "report.md"), "utf8");
    for (const section of [
      "Accuracy on the held-out",
      "Curation",
      "Distillation",
      "Response lengths",
      "Time per stage",
    ]) {
      expect(md).toContain(`## ${section}`);
    }
    expect(md).toMatch(/McNemar p = /);
    const html = readFileSync(path.join(work(), "report", "report.html"), "utf8");
    expect((html.match(/<svg /g) ?? []).length).toBeGreaterThanOrEqual(4);
    expect(html).not.toMatch(/<script|<link|src="http/);
  });

  it("resumes after SIGKILL in each stage to the same outputs as the uninterrupted run", async () => {
    const killed = path.join(dir, "killed");
    // This run also stores its teacher logits ZSTD-compressed: a setting that changes no value (compared below).
    const zstdConfig = path.join(dir, "tiny-zstd.yaml");
    writeFileSync(
      zstdConfig,
      readFileSync(config, "utf8").replace("\ncuration:\n", "\ncuration:\n  logitCompression: zstd\n"),
    );
    const nonEmpty = (...p: string[]) => {
      const f = path.join(killed, ...p);
      return existsSync(f) && readFileSync(f, "utf8").includes("\n");
    };
    const unfinished = (stage: string) => !existsSync(path.join(killed, stage, "stage.json"));
    // Kill once the stage has written part of its output (a record, a checkpoint) and before it is complete.
    const triggers: [string, () => boolean][] = [
      ["rollout", () => nonEmpty("rollout", "rollouts.jsonl")],
      ["curate", () => nonEmpty("curate", "dropped.jsonl") || nonEmpty("curate", "pairs.jsonl")],
      [
        "distill",
        () =>
          existsSync(path.join(killed, "distill", "checkpoints")) &&
          readdirSync(path.join(killed, "distill", "checkpoints")).length > 0,
      ],
      ["eval", () => nonEmpty("eval", "base", "records.jsonl")],
    ];
    const killedIn: string[] = [];
    for (const [stage, ready] of triggers) {
      const run = startCli(["run", zstdConfig, "--work", killed, "--quiet"]);
      let exited = false;
      void run.done.then(() => {
        exited = true;
      });
      while (!exited && !(unfinished(stage) && ready())) await new Promise((r) => setTimeout(r, 10));
      if (!exited && run.child.pid !== undefined) {
        process.kill(-run.child.pid, "SIGKILL");
        const result = await run.done;
        expect(result.signal).toBe("SIGKILL");
        killedIn.push(stage);
      }
    }
    // Every kill landed inside its stage (the run was never allowed to finish it first).
    expect(killedIn).toEqual(["rollout", "curate", "distill", "eval"]);
    const final = await runCli(["run", zstdConfig, "--work", killed, "--json"]);
    expect(JSON.parse(final.stdout).ran).toEqual(["eval", "report"]);
    expect(await compareWorkDirs(work(), killed)).toEqual([]);
    const plainStore = await openLogitStore(path.join(work(), "curate", "logits"));
    const zstdStore = await openLogitStore(path.join(killed, "curate", "logits"));
    expect([plainStore.compressions(), zstdStore.compressions()]).toEqual([[], ["zstd"]]);
    plainStore.close();
    zstdStore.close();
    // The rollout stage was finished by a resumed session: its own counts are part of the run, the whole
    // run's totals (from the records) are the uninterrupted run's.
    const resumed = JSON.parse(readFileSync(path.join(killed, "rollout", "stage.json"), "utf8")).stats;
    const whole = readJson("rollout", "stage.json").stats;
    expect(resumed.resumedSamples).toBeGreaterThan(0);
    expect(resumed.generatedTokens).toBeLessThan(whole.generatedTokens);
    expect(resumed.wholeRun).toEqual(whole.wholeRun);
  }, 240_000);

  it("skips finished stages on a rerun, and --from redoes a stage and what follows", async () => {
    const again = await runCli(["run", config, "--work", work(), "--json"]);
    expect(JSON.parse(again.stdout).ran).toEqual([]);
    const before = readFileSync(path.join(work(), "eval", "base", "records.jsonl"), "utf8");
    const redo = await runCli(["run", config, "--work", work(), "--json", "--from", "eval"]);
    expect(JSON.parse(redo.stdout).ran).toEqual(["eval", "report"]);
    expect(readFileSync(path.join(work(), "eval", "base", "records.jsonl"), "utf8")).toBe(before);
  }, 120_000);

  it("refuses a changed config that invalidates finished stages unless --from restarts there", async () => {
    const changed = path.join(dir, "changed.yaml");
    writeFileSync(changed, `${readFileSync(config, "utf8")}seed: 5\n`);
    const run = await startCli(["run", changed, "--work", work(), "--json"]).done;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/other settings \(seed: 20261127 -> 5\).*--from problems/);
    expect(existsSync(path.join(work(), "report", "stage.json"))).toBe(true);
    // While another run holds the work directory, a second one is refused and leaves its config alone.
    const pinned = readFileSync(path.join(work(), "config.json"), "utf8");
    writeFileSync(path.join(work(), "ssb-run.lock"), String(process.ppid));
    const locked = await startCli(["run", changed, "--work", work(), "--from", "problems"]).done;
    rmSync(path.join(work(), "ssb-run.lock"));
    expect(locked.code).toBe(1);
    expect(locked.stderr).toMatch(/locked by a running ssb run/);
    expect(readFileSync(path.join(work(), "config.json"), "utf8")).toBe(pinned);
    const bad = await startCli(["run", changed, "--work", work(), "--from", "nope"]).done;
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown stage "nope"/);
  });
});
