/**
 * What a GRPO checkpoint pins besides the settings: the reward's identity (rewardId) and which backend trained
 * which rounds; the folder's refusals come before the model is loaded, and a resume that fails frees the model.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BackendPreference } from "@ssb/distill";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRef } from "../test/fixtures.js";
import { latestGrpoCheckpoint } from "./grpo-checkpoint.js";
import {
  type GrpoConfig,
  type GrpoConfigInput,
  type GrpoRewardSettings,
  resolveGrpoConfig,
} from "./grpo-config.js";
import type { GroupRewardFunction } from "./rewards.js";
import { type RunGrpoOptions, runGrpo } from "./run-grpo.js";
import { tf } from "./tf.js";

/** The workspace's @ssb/verifier (read only). */
const verifierPackage = path.resolve(import.meta.dirname, "../../verifier");
const evenShare: GroupRewardFunction = (_problem, completions) => {
  const rewards = completions.map((c) => c.tokenIds.filter((t) => t % 2 === 0).length / c.tokenIds.length);
  return { rewards, correct: rewards.map((r) => r > 0.5) };
};
const tiny: GrpoConfigInput = {
  steps: 3,
  maxSteps: 1,
  groupSize: 2,
  problemsPerStep: 1,
  sampling: { maxNewTokens: 2 },
  lora: { r: 2, alpha: 2 },
  checkpointEvery: 1,
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "grpo-identity-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One round (maxSteps 1) on `outDir`; returns the log lines. */
async function round(
  outDir: string,
  extra: Partial<RunGrpoOptions> & { backend?: BackendPreference } = {},
): Promise<string[]> {
  const lines: string[] = [];
  await runGrpo({
    modelDir: tinyRef,
    problems: [{ id: "p", question: "1 + 1?", answer: "2" }],
    outDir,
    config: resolveGrpoConfig(tiny),
    reward: evenShare,
    backend: "wasm",
    progress: false,
    log: (line) => lines.push(line),
    ...extra,
  });
  return lines;
}

const stateFile = async (outDir: string): Promise<string> =>
  path.join((await latestGrpoCheckpoint(path.join(outDir, "checkpoints")))?.dir as string, "grpo_state.json");
const state = async (outDir: string): Promise<Record<string, unknown>> =>
  JSON.parse(readFileSync(await stateFile(outDir), "utf8")) as Record<string, unknown>;

describe("a GRPO resume checks the reward's identity and records the backend", () => {
  it("a resume with another rewardId is refused naming stored -> now; the same one goes on", async () => {
    const out = path.join(dir, "named");
    await round(out, { rewardId: "even-share-v1" });
    expect((await state(out)).rewardId).toBe("even-share-v1");
    // It went on with whatever function was passed: the run's first rounds rewarded one thing, the rest another.
    const changed = round(out, { rewardId: "even-share-v2", resume: true });
    await expect(changed).rejects.toThrow(
      /saved with different GRPO settings than now \(reward: "even-share-v1" -> "even-share-v2"\); refusing to resume/,
    );
    const unnamed = round(out, { rewardId: undefined, resume: true });
    await expect(unnamed).rejects.toThrow(/\(reward: "even-share-v1" -> "custom"\)/);
    const lines = await round(out, { rewardId: "even-share-v1", resume: true });
    expect(lines.filter((l) => l.includes("rewardId"))).toEqual([]);
    expect((await state(out)).step).toBe(2);
  });

  it("the default reward is 'verifier'; an unnamed function is 'custom', and its resume says it cannot be checked", async () => {
    const out = path.join(dir, "custom");
    await round(out);
    expect((await state(out)).rewardId).toBe("custom");
    const lines = await round(out, { resume: true });
    expect(lines).toContain(
      "[grpo] note: the reward function has no rewardId; this resume cannot check that it is the one the run began with",
    );
    // No function: the default reward, the verifier.
    await expect(round(out, { reward: undefined, resume: true })).rejects.toThrow(
      /\(reward: "custom" -> "verifier"\)/,
    );
  });

  it("a resume on another backend goes on, logs both, and the checkpoint records which rounds ran where", async () => {
    const out = path.join(dir, "backends");
    await round(out, { rewardId: "even" });
    expect((await state(out)).backends).toEqual([{ backend: "wasm", firstStep: 1, lastStep: 1 }]);
    const lines = await round(out, { rewardId: "even", resume: true, backend: "cpu" });
    expect(lines).toContain(
      "[grpo] resuming on cpu where wasm trained the checkpoint's last round (rounds 1-1 on wasm); allowed, the results differ from a run on one backend in rounding only",
    );
    expect((await state(out)).backends).toEqual([
      { backend: "wasm", firstStep: 1, lastStep: 1 },
      { backend: "cpu", firstStep: 2, lastStep: 2 },
    ]);
  });

  it("a checkpoint from before rewardId and backends were recorded resumes with any reward", async () => {
    const out = path.join(dir, "older");
    await round(out, { rewardId: "even" });
    const file = await stateFile(out);
    const { rewardId: _r, backends: _b, ...older } = await state(out);
    writeFileSync(file, `${JSON.stringify(older, null, 2)}\n`);
    await round(out, { rewardId: "anything", resume: true });
    const now = await state(out);
    expect(now.rewardId).toBe("anything");
    expect(now.backends).toEqual([{ backend: "wasm", firstStep: 2, lastStep: 2 }]);
  });

  it("checkpoints without resume, or a resume with other settings or reward, are refused before the model is read", async () => {
    const out = path.join(dir, "early");
    await round(out, { rewardId: "even" });
    const noModel = { modelDir: path.join(dir, "no-model") };
    await expect(round(out, noModel)).rejects.toThrow(`${out} already holds checkpoints`);
    await expect(
      round(out, {
        ...noModel,
        rewardId: "even",
        resume: true,
        config: resolveGrpoConfig({ ...tiny, beta: 0.1 }),
      }),
    ).rejects.toThrow(/\(beta: 0 -> 0\.1\); refusing to resume/);
    await expect(round(out, { ...noModel, rewardId: "odd", resume: true })).rejects.toThrow(
      /\(reward: "even" -> "odd"\)/,
    );
  });

  it("the verifier's answer rules are recorded when not the default, and a resume with other rules is refused", async () => {
    const out = path.join(dir, "rules");
    const withRules = (rules: GrpoRewardSettings["rules"]): Partial<RunGrpoOptions> => ({
      reward: undefined,
      config: resolveGrpoConfig({ ...tiny, reward: { rules } }),
    });
    await round(out, withRules(["boxed", "answer-tag"]));
    const saved = (await state(out)) as { rewardId: string; config: GrpoConfig };
    expect(saved.rewardId).toBe("verifier");
    expect(saved.config.reward).toEqual({
      correct: 1,
      wrong: 0,
      noAnswer: 0,
      rules: ["boxed", "answer-tag"],
    });
    // Refused before the model is read: without the rules (the default, boxed only), or in another order.
    const noModel = { modelDir: path.join(dir, "no-model"), resume: true };
    const recorded = await stateFile(out);
    await expect(round(out, { ...noModel, ...withRules(undefined) })).rejects.toThrow(
      `(reward.rules: ["boxed","answer-tag"] -> ["boxed"]); refusing to resume; resume with --answer-rules boxed,answer-tag (the config's reward.rules, recorded in ${recorded}), or use another --out to train with other rules`,
    );
    await expect(round(out, { ...noModel, ...withRules(["answer-tag", "boxed"]) })).rejects.toThrow(
      /\(reward\.rules: \["boxed","answer-tag"\] -> \["answer-tag","boxed"\]\); refusing/,
    );
    await round(out, { ...withRules(["boxed", "answer-tag"]), resume: true });
    expect((await state(out)).step).toBe(2);
  });

  it("a run with the default rules records none (its config as before the setting), and resumes with them spelled out", async () => {
    const out = path.join(dir, "default-rules");
    await round(out, { reward: undefined });
    const saved = (await state(out)) as { config: GrpoConfig };
    expect(saved.config.reward).toEqual({ correct: 1, wrong: 0, noAnswer: 0 });
    expect(JSON.stringify(saved.config)).not.toContain("rules");
    await expect(
      round(out, {
        reward: undefined,
        resume: true,
        config: resolveGrpoConfig({ ...tiny, reward: { rules: ["answer-tag"] } }),
      }),
    ).rejects.toThrow(
      '(reward.rules: ["boxed"] -> ["answer-tag"]); refusing to resume; resume with --answer-rules boxed ',
    );
    // A config built by hand (not through resolveGrpoConfig) with ["boxed"] spelled out is the default too.
    const spelled = resolveGrpoConfig(tiny);
    await round(out, {
      reward: undefined,
      resume: true,
      config: { ...spelled, reward: { ...spelled.reward, rules: ["boxed"] } },
    });
    expect(JSON.stringify((await state(out)).config)).not.toContain("rules");
  });

  it("the default reward records the verifier's version; a resume under another one, or from before it was recorded, goes on with a note", async () => {
    // The verifier curation grades with: the workspace's, whose VERIFIER_VERSION its tests hold to package.json.
    const installed = JSON.parse(readFileSync(path.join(verifierPackage, "package.json"), "utf8")).version;
    const out = path.join(dir, "graded");
    await round(out, { reward: undefined });
    expect((await state(out)).verifierVersion).toBe(installed);
    let file = await stateFile(out);
    writeFileSync(file, JSON.stringify({ ...(await state(out)), verifierVersion: "0.0.9" }));
    let lines = await round(out, { reward: undefined, resume: true });
    expect(lines.filter((l) => /verifier version|@ssb\/verifier/.test(l))).toEqual([
      `[grpo] note: ${path.dirname(file)} records @ssb/verifier 0.0.9 and this resume grades with @ssb/verifier ${installed}, whose grading differs; the rewards of its rounds stay as graded then, and rounds from 2 on are graded by ${installed}`,
    ]);
    expect((await state(out)).verifierVersion).toBe(installed);
    // A checkpoint from before the version was recorded.
    file = await stateFile(out);
    const { verifierVersion: _v, ...older } = await state(out);
    writeFileSync(file, JSON.stringify(older));
    lines = await round(out, { reward: undefined, resume: true });
    expect(lines.filter((l) => /verifier version|@ssb\/verifier/.test(l))).toEqual([
      `[grpo] note: ${path.dirname(file)} records no verifier version (saved before checkpoints recorded it); the rewards of its rounds stay as graded then, and rounds from 3 on are graded by @ssb/verifier ${installed}`,
    ]);
    expect((await state(out)).verifierVersion).toBe(installed);
  });

  it("a reward function of one's own records no verifier version and its resume says nothing of one", async () => {
    const out = path.join(dir, "own-reward");
    await round(out, { rewardId: "even" });
    expect("verifierVersion" in (await state(out))).toBe(false);
    const lines = await round(out, { rewardId: "even", resume: true });
    expect(lines.filter((l) => /verifier version|@ssb\/verifier/.test(l))).toEqual([]);
  });

  it("a resume stopped by a damaged metrics line frees the model, the LoRA and the optimizer", async () => {
    const out = path.join(dir, "damaged");
    await round(out);
    const metrics = path.join(out, "metrics.jsonl");
    writeFileSync(metrics, `garbage\n${readFileSync(metrics, "utf8")}`);
    const before = tf.memory().numTensors;
    await expect(round(out, { resume: true })).rejects.toThrow(`${metrics}:1:1: not a metrics record`);
    // They were made before the loop's try, and stayed allocated after the throw.
    expect(tf.memory().numTensors).toBe(before);
  });
});
