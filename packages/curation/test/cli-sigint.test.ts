/**
 * Ctrl-C on ssb-curate: one line saying it was interrupted and that the same command resumes, exit code 130;
 * and the rerun does resume, to the files of an uninterrupted run.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, "..", "src", "cli.ts");
const root = mkdtempSync(join(tmpdir(), "ssb-sigint-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/** Lines in a file that may not exist yet. */
function lineCount(file: string): number {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").length - 1 : 0;
}

/**
 * Runs ssb-curate into `out`; with `interrupt`, sends SIGINT once its first problem is on disk (a log gets a
 * progress line only every 30 s, so the files are what shows that the run has started).
 */
function curate(args: string[], out: string, interrupt: boolean): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", cli, ...args], {
      cwd: join(here, ".."),
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    proc.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const watch = interrupt
      ? setInterval(() => {
          if (lineCount(join(out, "teacher-prompts.jsonl")) + lineCount(join(out, "dropped.jsonl")) === 0)
            return;
          clearInterval(watch);
          proc.kill("SIGINT");
        }, 5)
      : undefined;
    proc.on("error", reject);
    proc.on("exit", (code, signal) => {
      clearInterval(watch);
      resolve({ code, signal, stderr });
    });
  });
}

describe("ssb-curate on Ctrl-C", () => {
  it("says it was interrupted, exits 130, and the same command then resumes to an uninterrupted run's files", async () => {
    // Enough problems, one per batch (an fsync'ed record each), that the run is still going when SIGINT lands.
    const n = 300;
    const problems = join(root, "problems.jsonl");
    const rollouts = join(root, "rollouts.jsonl");
    const lines = (rows: unknown[]): string => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
    writeFileSync(
      problems,
      lines(Array.from({ length: n }, (_, i) => ({ id: `p${i}`, question: `q${i}`, answer: String(i) }))),
    );
    writeFileSync(
      rollouts,
      lines(
        Array.from({ length: n }, (_, i) => [
          { problemId: `p${i}`, sampleIndex: 0, text: `\\boxed{${i}}`, finishReason: "stop" },
          { problemId: `p${i}`, sampleIndex: 1, text: `\\boxed{${i + (i % 3 === 0 ? 0 : 1)}}` },
        ]).flat(),
      ),
    );
    const args = (out: string): string[] => [
      "--problems",
      problems,
      "--rollouts",
      rollouts,
      "--out",
      out,
      "--batch-size",
      "1",
    ];

    const out = join(root, "interrupted");
    const stopped = await curate(args(out), out, true);
    expect(stopped.stderr).toContain(
      "ssb-curate: interrupted; the problems finished so far are kept, and rerunning the same command resumes from there\n",
    );
    expect(stopped.code).toBe(130);
    const written = readFileSync(join(out, "teacher-prompts.jsonl"), "utf8").split("\n").length - 1;
    const dropped = readFileSync(join(out, "dropped.jsonl"), "utf8").split("\n").length - 1;
    expect(written + dropped).toBeLessThan(n);

    const resumed = await curate(args(out), out, false);
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/ {2}[1-9]\d* resumed {2}/);
    const reference = join(root, "reference");
    expect((await curate(args(reference), reference, false)).code).toBe(0);
    for (const f of ["teacher-prompts.jsonl", "dropped.jsonl", "summary.json", "run.json"]) {
      expect(readFileSync(join(out, f), "utf8")).toBe(readFileSync(join(reference, f), "utf8"));
    }
  });
});
