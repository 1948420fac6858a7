/**
 * Acceptance 4: a rollout job killed with SIGKILL mid-run and rerun yields exactly the records (and captured
 * logits) of an uninterrupted run with the same seed: nothing lost, nothing duplicated. The killed job is the
 * real CLI in a child process (`node --import tsx src/cli.ts`); the reference run is the same job in-process.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { float16BitsToFloat32Array, openLogitStore } from "@ssb/logit-store";
import { afterAll, beforeAll, expect, it } from "vitest";
import { exportTinyRef } from "../test/fixtures.js";
import { Generator } from "./generator.js";
import { readProblemsFile } from "./problems-file.js";
import { runRollouts } from "./run-rollouts.js";
import { MATH_TUTOR_SYSTEM_PROMPT } from "./system-prompt.js";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let modelDir: string;
let work: string;

beforeAll(async () => {
  modelDir = await exportTinyRef();
  work = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-resume-"));
  const lines: string[] = [];
  for (let i = 0; i < 12; i++)
    lines.push(JSON.stringify({ id: `p${i}`, question: `What is ${i} + ${i * 3}?` }));
  await writeFile(path.join(work, "problems.jsonl"), `${lines.join("\n")}\n`);
});

afterAll(async () => {
  await rm(modelDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

const N = 4;
const FLAGS = [
  "--n",
  String(N),
  "--temperature",
  "0.9",
  "--top-k",
  "50",
  "--max-new-tokens",
  "40",
  "--seed",
  "11",
];
const lineCount = (file: string): number =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l !== "").length
    : 0;

function startCli(out: string, logits: string): ChildProcess {
  const args = [
    "--import",
    "tsx",
    "src/cli.ts",
    "--model",
    modelDir,
    "--problems",
    path.join(work, "problems.jsonl"),
  ];
  args.push(
    "--out",
    out,
    "--capture-logits",
    logits,
    "--flush-every",
    "4",
    "--batch-size",
    "4",
    "--no-progress",
    ...FLAGS,
  );
  // Node itself with tsx as a loader: one process to kill, and no pnpm start-up on a loaded CI machine.
  return spawn(process.execPath, args, { cwd: packageDir, stdio: ["ignore", "ignore", "pipe"] });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const exited = (child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));

function sortedRecords(file: string): Record<string, unknown>[] {
  const recs = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return recs.sort((a, b) =>
    `${a.problemId}#${a.sampleIndex}`.localeCompare(`${b.problemId}#${b.sampleIndex}`),
  );
}

it(
  "SIGKILL mid-run, then rerun: same records and logits as an uninterrupted run",
  { timeout: 300_000 },
  async () => {
    // Uninterrupted reference, in-process.
    const refOut = path.join(work, "ref.jsonl");
    const refLogits = path.join(work, "ref-logits");
    const gen = await Generator.load(modelDir);
    await runRollouts({
      generator: gen,
      // The CLI's default system turn (ssb-rollout --problems), so that both runs sample the same prompts.
      problems: readProblemsFile(path.join(work, "problems.jsonl"), MATH_TUTOR_SYSTEM_PROMPT),
      n: N,
      sampling: { temperature: 0.9, topK: 50, maxNewTokens: 40, seed: 11 },
      outFile: refOut,
      capture: { dir: refLogits },
      maxBatch: 4,
      flushEvery: 4,
    });
    await gen.close();
    expect(lineCount(refOut)).toBe(12 * N);

    // Killed run.
    const out = path.join(work, "out.jsonl");
    const logits = path.join(work, "logits");
    const child = startCli(out, logits);
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const done = exited(child);
    let killedAt = -1;
    // No poll limit: on a slow machine the job only takes longer to write its eighth record.
    while (child.exitCode === null) {
      if (lineCount(out) >= 8) {
        child.kill("SIGKILL");
        killedAt = lineCount(out);
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    const first = await done;
    expect(first.signal, `the job ended before it could be killed: ${stderr}`).toBe("SIGKILL");
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(12 * N);

    // The killed writer's lock names its pid; wait until that process is really gone (reaped), as a user
    // rerunning the command would.
    const lock = path.join(logits, "writer.lock");
    const lockPid = existsSync(lock)
      ? Number.parseInt(readFileSync(lock, "utf8").replace(/\D+/g, " ").trim(), 10)
      : Number.NaN;
    for (let t = 0; t < 250 && Number.isInteger(lockPid) && alive(lockPid); t++)
      await new Promise((r) => setTimeout(r, 20));

    // The invariant resume relies on: every record the killed run wrote has its logits in the store.
    const partial = await openLogitStore(logits);
    for (const rec of sortedRecords(out)) expect(partial.has(rec.logitKey as string)).toBe(true);
    partial.close();

    // Rerun to completion.
    const again = startCli(out, logits);
    let stderr2 = "";
    again.stderr?.on("data", (d: Buffer) => {
      stderr2 += d.toString();
    });
    const second = await exited(again);
    expect(second.code, stderr2).toBe(0);
    expect(stderr2).toMatch(/already done/);

    const got = sortedRecords(out);
    const want = sortedRecords(refOut);
    expect(got).toHaveLength(12 * N);
    expect(got).toEqual(want);
    // A completed job rewrites its file in canonical order, so the resumed file has the reference's bytes.
    expect(readFileSync(out, "utf8")).toBe(readFileSync(refOut, "utf8"));

    const store = await openLogitStore(logits);
    const refStore = await openLogitStore(refLogits);
    expect(store.size).toBe(12 * N);
    let worst = 0;
    for (const rec of got) {
      const key = rec.logitKey as string;
      const a = store.read(key);
      const b = refStore.read(key);
      expect(Array.from(a.tokenIds)).toEqual(rec.tokenIds);
      expect(Array.from(a.topkIds)).toEqual(Array.from(b.topkIds));
      // Logits may differ in the last bits: the rerun batches sequences differently, and onnxruntime's sums
      // over differently padded rows round differently. float16 storage: compare within 1e-3.
      const la = float16BitsToFloat32Array(a.topkLogits);
      const lb = float16BitsToFloat32Array(b.topkLogits);
      for (let i = 0; i < la.length; i++)
        worst = Math.max(worst, Math.abs((la[i] as number) - (lb[i] as number)));
    }
    expect(worst).toBeLessThan(1e-3);
    store.close();
    refStore.close();
  },
);
