/**
 * `ssb-grpo eval --adapter` in a fresh process (Node with tsx as a loader, as stop-resume.test.ts): stdout is
 * the summary line and stderr stays empty. It used to read the adapter on tfjs' pure-JS cpu backend, whose
 * first use printed a four-line banner on stderr telling the user to install tfjs-node.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, expect, it } from "vitest";

const here = path.dirname(fileURLToPath(import.meta.url));
const packageDir = path.resolve(here, "..");
const tinyRef = path.resolve(packageDir, "../..", "../shared/fixtures/qwen2-tiny-ref");
const dir = mkdtempSync(path.join(os.tmpdir(), "ssb-grpo-eval-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("eval with an adapter writes the summary to stdout and nothing to stderr", () => {
  const problems = path.join(dir, "problems.jsonl");
  writeFileSync(problems, '{"id":"a","question":"1+1?","answer":"2"}\n');
  const args = ["--model", tinyRef, "--adapter", path.join(tinyRef, "lora"), "--problems", problems];
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", "src/cli.ts", "eval", ...args, "--n", "2", "--max-new-tokens", "2", "--no-progress"],
    { cwd: packageDir, encoding: "utf8" },
  );
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ problems: 1, samples: 2 });
});

it("eval --problems FILE --limit N takes the file's first N problems and shows a bar over the samples", () => {
  const problems = path.join(dir, "three.jsonl");
  const lines = ["a", "b", "c"].map((id) => JSON.stringify({ id, question: "1+1?", answer: "2" }));
  writeFileSync(problems, `${lines.join("\n")}\n`);
  const args = [
    "--model",
    tinyRef,
    "--problems",
    problems,
    "--limit",
    "2",
    "--n",
    "2",
    "--max-new-tokens",
    "2",
  ];
  const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "eval", ...args], {
    cwd: packageDir,
    encoding: "utf8",
  });
  expect(result.status).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({ problems: 2, samples: 4 });
  // Not a terminal: the bar's last line (it used to print nothing until the end).
  expect(result.stderr).toMatch(/^eval \[█+\] 4\/4 samples 100%/m);
});

it("eval that fails before sampling (a folder without an adapter as --adapter) prints no 0% bar before the error", () => {
  const problems = path.join(dir, "one.jsonl");
  writeFileSync(problems, '{"id":"a","question":"1+1?","answer":"2"}\n');
  const args = ["--model", tinyRef, "--adapter", tinyRef, "--problems", problems, "--n", "1"];
  const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "eval", ...args], {
    cwd: packageDir,
    encoding: "utf8",
  });
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/^ssb-grpo: .*adapter_config\.json/);
  expect(result.stderr).not.toContain("eval [");
});
