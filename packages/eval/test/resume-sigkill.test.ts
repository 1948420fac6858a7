/**
 * Acceptance 3: a run killed with SIGKILL mid-way and rerun until it finishes leaves the same records and summary
 * (byte for byte) as an uninterrupted run.
 */
import { spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { readRecords } from "../src/records-file.js";
import { runEval } from "../src/run-eval.js";
import { fakeGenerator } from "./fake-generator.js";
import { resumeConfig } from "./resume-config.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = mkdtempSync(join(tmpdir(), "ssb-eval-resume-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function runChild(outDir: string, killAfterLines: number | null): Promise<"finished" | "killed"> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ["--import", "tsx", join(here, "resume-child.ts"), outDir], {
      cwd: join(here, ".."),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      const lines = stdout.split("\n").filter((l) => l.startsWith("progress")).length;
      if (killAfterLines !== null && lines >= killAfterLines) proc.kill("SIGKILL");
    });
    proc.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    proc.on("error", reject);
    proc.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve("killed");
      else if (code === 0 && stdout.includes("finished")) resolve("finished");
      else reject(new Error(`child exited with code ${code}, signal ${signal}\n${stderr}`));
    });
  });
}

describe("kill and resume", () => {
  it("SIGKILL twice, then finish: records and summary identical to an uninterrupted run", async () => {
    const reference = join(root, "reference");
    await runEval({ config: resumeConfig, generator: fakeGenerator(), outDir: reference });

    const killed = join(root, "killed");
    expect(await runChild(killed, 25)).toBe("killed");
    const partial = readRecords(join(killed, "records.jsonl")).records.length;
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(108);
    expect(await runChild(killed, 20)).toBe("killed");
    expect(await runChild(killed, null)).toBe("finished");

    for (const file of ["records.jsonl", "summary.json", "report.md", "report.html", "run.json"]) {
      expect(readFileSync(join(killed, file), "utf8"), file).toBe(
        readFileSync(join(reference, file), "utf8"),
      );
    }
  }, 120_000);

  it("a torn last line is cut off and its sample regenerated", async () => {
    const reference = join(root, "reference-torn");
    await runEval({ config: resumeConfig, generator: fakeGenerator(), outDir: reference });
    const dir = join(root, "torn");
    const partialConfig = { ...resumeConfig };
    // First a complete run of the same config, then damage: drop the last 5 records and leave half a line.
    await runEval({ config: partialConfig, generator: fakeGenerator(), outDir: dir, reports: false });
    const lines = readFileSync(join(dir, "records.jsonl"), "utf8").split("\n").filter(Boolean);
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "records.jsonl"), `${lines.slice(0, -5).join("\n")}\n`);
    appendFileSync(join(dir, "records.jsonl"), (lines.at(-5) ?? "").slice(0, 40));
    const gen = fakeGenerator();
    const result = await runEval({ config: resumeConfig, generator: gen, outDir: dir });
    expect(result.repairedTail).toBe(true);
    expect(result.resumed).toBe(103);
    expect(result.generated).toBe(5);
    expect(readFileSync(join(dir, "records.jsonl"), "utf8")).toBe(
      readFileSync(join(reference, "records.jsonl"), "utf8"),
    );
    expect(readFileSync(join(dir, "summary.json"), "utf8")).toBe(
      readFileSync(join(reference, "summary.json"), "utf8"),
    );
  }, 60_000);
});
