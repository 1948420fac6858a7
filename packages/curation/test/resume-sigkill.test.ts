/**
 * Acceptance 4: a run killed with SIGKILL at random moments and rerun until it finishes leaves the same files
 * as an uninterrupted run.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { mulberry32 } from "../src/prng.js";
import { runCuration } from "../src/run-curation.js";
import { resumeTestConfig, resumeTestInputs, resumeTestTeacher } from "./resume-fixture.js";

const here = dirname(fileURLToPath(import.meta.url));
const child = join(here, "resume-child.ts");
const root = mkdtempSync(join(tmpdir(), "ssb-resume-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const countLines = (path: string): number => readFileSync(path, "utf8").split("\n").length - 1;

/** Runs the child; kills it `killAfterMs` after its first progress line unless null. Resolves how it ended. */
function runChild(outDir: string, killAfterMs: number | null): Promise<"finished" | "killed"> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", child, outDir], {
      cwd: join(here, ".."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let timer: NodeJS.Timeout | undefined;
    proc.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (killAfterMs !== null && timer === undefined && stdout.includes("progress")) {
        timer = setTimeout(() => proc.kill("SIGKILL"), killAfterMs);
      }
    });
    proc.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    proc.on("error", reject);
    proc.on("exit", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (signal === "SIGKILL") resolve("killed");
      else if (code === 0 && stdout.includes("finished")) resolve("finished");
      else reject(new Error(`child exited with code ${code}, signal ${signal}\n${stderr}`));
    });
  });
}

describe("resume after SIGKILL", () => {
  it("gives the same pairs file as an uninterrupted run", async () => {
    const reference = join(root, "reference");
    const { problems, rollouts } = resumeTestInputs();
    await runCuration({
      problems,
      rollouts,
      outDir: reference,
      config: resumeTestConfig,
      generator: resumeTestTeacher(0),
    });

    const resumed = join(root, "resumed");
    const rng = mulberry32(7);
    let kills = 0;
    let midRunKills = 0;
    const expectedPairs = countLines(join(reference, "pairs.jsonl"));
    let outcome: "finished" | "killed" = "killed";
    for (let run = 0; run < 40 && outcome !== "finished"; run++) {
      // The later runs get more time so the loop always ends; the early ones die after 30-150 ms of work
      // (the whole job takes about 0.5 s: ~45 teacher replies at 8 ms each, plus an fsync per record).
      const delay = run < 12 ? 30 + Math.floor(rng() * 120) : null;
      outcome = await runChild(resumed, delay);
      if (outcome === "killed") {
        kills++;
        // Count kills that landed mid-run: some pairs written, not all.
        const written = existsSync(join(resumed, "pairs.jsonl"))
          ? countLines(join(resumed, "pairs.jsonl"))
          : 0;
        if (written > 0 && written < expectedPairs) midRunKills++;
      }
    }
    expect(outcome).toBe("finished");
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(midRunKills).toBeGreaterThanOrEqual(2);

    const pairs = readFileSync(join(resumed, "pairs.jsonl"), "utf8");
    expect(pairs.length).toBeGreaterThan(0);
    expect(pairs).toBe(readFileSync(join(reference, "pairs.jsonl"), "utf8"));
    for (const f of ["dropped.jsonl", "teacher-prompts.jsonl", "summary.json"]) {
      expect(readFileSync(join(resumed, f), "utf8")).toBe(readFileSync(join(reference, f), "utf8"));
    }
    // Each of the ~13 child runs starts tsx: 8 s for the whole test alone, 84–101 s in CI runs beside the
    // other packages' tests on 2 cores, and once past 120 s on a slower day.
  }, 300_000);
});
