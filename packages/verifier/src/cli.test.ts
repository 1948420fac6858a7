import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

const lines = [
  JSON.stringify({ id: "a", response: "so \\boxed{1,080}", gold: "1080" }),
  JSON.stringify({ id: "b", response: "The answer is 7.", gold: "8" }),
  "{not json",
  JSON.stringify({ id: "c", response: 12, gold: "12" }),
  JSON.stringify({ id: "d", response: "no answer here", gold: "3" }),
];

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ssb-verify-"));
  writeFileSync(join(dir, "in.jsonl"), `${lines.join("\n")}\n`);
});
afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe("ssb-verify", () => {
  it("grades a file, passes fields through, skips and reports malformed lines by number", async () => {
    const { stdout, stderr } = await run("node", [cli, join(dir, "in.jsonl")]);
    const out = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(out.map((r) => [r.id, r.correct, r.extracted, r.verdict])).toEqual([
      ["a", true, "1,080", "correct"],
      ["b", false, "7", "wrong"],
      ["d", false, null, "no-answer"],
    ]);
    expect(stderr).toContain("in.jsonl:3: not valid JSON");
    expect(stderr).toContain('in.jsonl:4: field "response" must be a string');
    expect(stderr).toMatch(
      /3 graded, 1 correct, 1 wrong, 1 no answer, 2 malformed skipped; accuracy 33\.33%/,
    );
  });

  it("--strict stops at the first malformed line with exit code 1", async () => {
    const failure = await run("node", [cli, "--strict", join(dir, "in.jsonl")]).catch(
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect("code" in failure ? failure.code : 0).toBe(1);
    expect(failure.stdout.trim().split("\n")).toHaveLength(2);
    expect(failure.stderr).toContain("in.jsonl:3");
  });

  it("refuses the input file as --output, leaving it as it was", async () => {
    const input = join(dir, "same.jsonl");
    const text = `${JSON.stringify({ response: "\\boxed{2}", gold: "2" })}\n`;
    writeFileSync(input, text);
    // A path spelled differently (dir/./same.jsonl) is the same file.
    await expect(run(process.execPath, [cli, input, "-o", `${dir}/./same.jsonl`])).rejects.toThrow(
      /--output .*same\.jsonl is the input file/,
    );
    expect(readFileSync(input, "utf8")).toBe(text);
  });

  it("reads standard input, custom fields, the last-number fallback, and writes --output", async () => {
    const input = join(dir, "custom.jsonl");
    writeFileSync(input, `${JSON.stringify({ completion: "she has 42 apples", answer: "42" })}\n`);
    const output = join(dir, "out.jsonl");
    await run("sh", [
      "-c",
      `node ${cli} --response-field completion --gold-field answer --last-number -o ${output} < ${input}`,
    ]);
    const record = JSON.parse(readFileSync(output, "utf8")) as Record<string, unknown>;
    expect(record).toMatchObject({ correct: true, rule: "last-number", extracted: "42" });
  });

  it("rejects unknown rules clearly", async () => {
    const failure = await run("node", [cli, "--rules", "boxed,magic", join(dir, "in.jsonl")]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect("code" in failure ? failure.code : 0).toBe(2);
    expect(failure.stderr).toContain('unknown rule "magic"');
  });
});
