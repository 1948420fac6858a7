import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "./default-config.js";
import { checkForeignWorkDir } from "./foreign-work-dir.js";
import { createReporter } from "./reporter.js";
import { runPipeline } from "./run-pipeline.js";

const dirs: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ssb-foreign-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("checkForeignWorkDir", () => {
  it("refuses a config.json ssb run did not write, naming it", () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "config.json"), '{"hello": 1}\n');
    expect(() => checkForeignWorkDir(dir)).toThrow(
      `${path.join(dir, "config.json")} is not a config ssb run wrote (it has no numeric "seed")`,
    );
    writeFileSync(path.join(dir, "config.json"), '{"seed": 1, "problems": {}}\n');
    expect(() => checkForeignWorkDir(dir)).toThrow(/no "rollout", "curation", "distill", "eval" section/);
  });

  it("accepts a pinned config, and leaves a config.json that is not JSON to the pin check", () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "config.json"), JSON.stringify(DEFAULT_CONFIG));
    mkdirSync(path.join(dir, "rollout"));
    writeFileSync(path.join(dir, "rollout", "rollouts.jsonl"), "");
    expect(() => checkForeignWorkDir(dir)).not.toThrow();
    writeFileSync(path.join(dir, "config.json"), '{"seed": ');
    expect(() => checkForeignWorkDir(dir)).not.toThrow();
  });

  it("refuses stage-named folders with files and no config.json, unless problems/ finished (a run's folders)", () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "notes.txt"), "mine\n");
    mkdirSync(path.join(dir, "eval"));
    expect(() => checkForeignWorkDir(dir)).not.toThrow(); // other files and empty folders lose nothing
    mkdirSync(path.join(dir, "rollout"));
    writeFileSync(path.join(dir, "rollout", "mine.txt"), "mine\n");
    writeFileSync(path.join(dir, "eval", "mine.txt"), "mine\n");
    expect(() => checkForeignWorkDir(dir)).toThrow(
      `${dir} holds rollout/, eval/ but no config.json: not an ssb run's work directory, and the run would delete those folders`,
    );
    mkdirSync(path.join(dir, "problems"));
    writeFileSync(path.join(dir, "problems", "stage.json"), "{}");
    expect(() => checkForeignWorkDir(dir)).not.toThrow();
  });
});

describe("runPipeline in a folder holding something else", () => {
  const run = (workDir: string) =>
    runPipeline({
      // Tiny, so that without the check the run would finish in seconds (and overwrite, delete) rather than hang.
      config: {
        ...DEFAULT_CONFIG,
        problems: { ...DEFAULT_CONFIG.problems, train: 2, eval: 2 },
        rollout: { ...DEFAULT_CONFIG.rollout, samples: 1, maxNewTokens: 4 },
        curation: {
          ...DEFAULT_CONFIG.curation,
          teacher: { ...DEFAULT_CONFIG.curation.teacher, maxNewTokens: 4 },
        },
        eval: { ...DEFAULT_CONFIG.eval, maxNewTokens: 4 },
      },
      configFile: null,
      workDir,
      reporter: createReporter({ write: () => true }, true),
    });

  it("keeps the user's config.json and stage-named folders, writing nothing", async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, "config.json"), '{"hello": 1}\n');
    await expect(run(dir)).rejects.toThrow(/is not a config ssb run wrote/);
    expect(readFileSync(path.join(dir, "config.json"), "utf8")).toBe('{"hello": 1}\n');
    expect(readdirSync(dir)).toEqual(["config.json"]);

    const other = tmp();
    mkdirSync(path.join(other, "report"));
    writeFileSync(path.join(other, "report", "q3.md"), "mine\n");
    await expect(run(other)).rejects.toThrow(/holds report\/ but no config\.json/);
    expect(readdirSync(other)).toEqual(["report"]);
    expect(readdirSync(path.join(other, "report"))).toEqual(["q3.md"]);
  });
});
