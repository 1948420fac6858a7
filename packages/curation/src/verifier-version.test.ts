import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fakeEquivalence, fakeGrader } from "../test/fakes.js";
import type { Problem, Rollout } from "./records.js";
import { runCuration } from "./run-curation.js";
import { checkVerifierVersion, installedVerifierVersion } from "./verifier-version.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "ssb-verifier-version-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const verifierVersion = (createRequire(import.meta.url)("@ssb/verifier/package.json") as { version: string })
  .version;

// Nine problems, each solved once and missed once (boxed, so the default grader reads them).
const problems: Problem[] = Array.from({ length: 9 }, (_, i) => ({
  id: `p${i}`,
  question: `What is ${i} + 1?`,
  answer: String(i + 1),
}));
const rollouts: Rollout[] = problems.flatMap((p, i) => [
  { problemId: p.id, sampleIndex: 0, text: `\\boxed{${i + 1}}`, finishReason: "stop" as const },
  { problemId: p.id, sampleIndex: 1, text: `\\boxed{${i + 2}}`, finishReason: "stop" as const },
]);

type RunFile = {
  verifierVersion?: string;
  decidedByVerifierVersion?: Record<string, number>;
  settings: Record<string, unknown>;
};
const readRun = (out: string) => JSON.parse(readFileSync(join(out, "run.json"), "utf8")) as RunFile;
const writeRun = (out: string, run: RunFile) =>
  writeFileSync(join(out, "run.json"), `${JSON.stringify(run, null, 2)}\n`);

async function curate(out: string, count: number, config = {}) {
  const warnings: string[] = [];
  const result = await runCuration({
    problems: problems.slice(0, count),
    rollouts,
    outDir: out,
    config,
    warn: (m) => warnings.push(m),
  });
  return { result, warnings };
}

describe("run.json's verifier version", () => {
  it("is the installed @ssb/verifier's, recorded for a new run, not for custom grader and equivalence", async () => {
    expect(installedVerifierVersion()).toBe(verifierVersion);
    const out = tmp();
    await curate(out, 2);
    expect(readRun(out).verifierVersion).toBe(verifierVersion);
    const custom = tmp();
    await curate(custom, 2, { grader: fakeGrader, equivalence: fakeEquivalence });
    expect(readRun(custom).verifierVersion).toBeUndefined();
    // Only equivalence custom: the verifier still grades.
    const half = tmp();
    await curate(half, 2, { equivalence: fakeEquivalence, equivalenceId: "fake" });
    expect(readRun(half).verifierVersion).toBe(verifierVersion);
  });

  it("a resume under another version is told how many problems the other decided, once each, not refused", async () => {
    const out = tmp();
    await curate(out, 3);
    writeRun(out, { ...readRun(out), verifierVersion: "0.1.0" });

    const second = await curate(out, 6);
    expect(second.result.skipped).toBe(3);
    expect(second.result.summary.selected).toBe(6);
    expect(second.warnings).toEqual([
      `${out}: 3 problems were decided by @ssb/verifier 0.1.0, and this run grades with @ssb/verifier ${verifierVersion}, whose grading differs; those problems keep their earlier decisions, and a fresh output folder (--out) regrades everything`,
    ]);
    expect(readRun(out)).toMatchObject({
      verifierVersion,
      decidedByVerifierVersion: { "0.1.0": 3 },
    });

    // The three this version decided are not counted as the older one's.
    const third = await curate(out, 9);
    expect(third.warnings).toHaveLength(1);
    expect(third.warnings[0]).toContain(": 3 problems were decided by @ssb/verifier 0.1.0, and");
    expect(readRun(out).decidedByVerifierVersion).toEqual({ "0.1.0": 3 });
  });

  it("a resume under the same version, or of a run.json written before versions, says and changes nothing", async () => {
    const out = tmp();
    await curate(out, 3);
    const same = await curate(out, 6);
    expect(same.warnings).toEqual([]);

    const old = tmp();
    await curate(old, 3);
    const { verifierVersion: _, ...before } = readRun(old);
    writeRun(old, before as RunFile);
    const bytes = readFileSync(join(old, "run.json"), "utf8");
    const resumed = await curate(old, 6);
    expect(resumed.warnings).toEqual([]);
    expect(readFileSync(join(old, "run.json"), "utf8")).toBe(bytes);
  });

  it("a refused resume leaves run.json as it was", async () => {
    const out = tmp();
    await curate(out, 3);
    writeRun(out, { ...readRun(out), verifierVersion: "0.1.0" });
    const bytes = readFileSync(join(out, "run.json"), "utf8");
    await expect(curate(out, 6, { seed: 5 })).rejects.toThrow("seed=0, but this run has seed=5");
    expect(readFileSync(join(out, "run.json"), "utf8")).toBe(bytes);
  });
});

describe("checkVerifierVersion", () => {
  it("splits the decided problems by version, across an upgrade and a downgrade", () => {
    expect(checkVerifierVersion("0.2.0", undefined, "0.2.0", 5)).toEqual({ others: {}, next: null });
    expect(checkVerifierVersion(undefined, undefined, "0.2.0", 5)).toEqual({ others: {}, next: null });
    expect(checkVerifierVersion("0.1.0", undefined, undefined, 5)).toEqual({ others: {}, next: null });
    // Nothing decided yet: only the record moves.
    expect(checkVerifierVersion("0.1.0", undefined, "0.2.0", 0)).toEqual({
      others: {},
      next: { verifierVersion: "0.2.0" },
    });
    // 0.1.0 decided 3, then 0.2.0 decided 4; back under 0.1.0, 0.2.0's 4 are the others.
    expect(checkVerifierVersion("0.2.0", { "0.1.0": 3 }, "0.1.0", 7)).toEqual({
      others: { "0.2.0": 4 },
      next: { verifierVersion: "0.1.0", decidedByVerifierVersion: { "0.1.0": 3, "0.2.0": 4 } },
    });
    expect(checkVerifierVersion("0.1.0", { "0.1.0": 3, "0.2.0": 4 }, "0.1.0", 9)).toEqual({
      others: { "0.2.0": 4 },
      next: null,
    });
  });
});
