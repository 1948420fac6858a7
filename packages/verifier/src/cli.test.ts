import { execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);

interface Failure {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI expecting it to fail; resolves with the exit code and output. */
async function fail(args: string[]): Promise<Failure> {
  const result = await run("node", [cli, ...args]).then(
    () => null,
    (e: Failure) => e,
  );
  if (result === null) throw new Error(`ssb-verify ${args.join(" ")} succeeded`);
  return result;
}
const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
/** The line after a usage error (a flag or a path given wrong), as every ssb CLI ends one. */
const SEE_HELP = 'Run "ssb-verify --help" for the options.\n';

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

  it("reads a file that starts with a byte-order mark (it was one malformed line, and exit 0)", async () => {
    const file = join(dir, "bom.jsonl");
    writeFileSync(file, `\uFEFF${lines[0]}\n`);
    const { stdout } = await run("node", [cli, "--strict", file]);
    expect(JSON.parse(stdout)).toMatchObject({ id: "a", correct: true });
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

  it("exits 1 saying nothing was graded for an empty input, or one whose every line is malformed", async () => {
    const empty = join(dir, "empty.jsonl");
    writeFileSync(empty, "\n  \n");
    let failure = await fail([empty]);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toBe(`ssb-verify: ${empty} is empty (no non-blank lines): nothing was graded\n`);
    const bad = join(dir, "all-bad.jsonl");
    writeFileSync(bad, `${lines[2]}\n${lines[3]}\n`);
    const folder = mkdtempSync(join(dir, "nothing-"));
    const output = join(folder, "out.jsonl");
    writeFileSync(output, "earlier result\n");
    failure = await fail([bad, "-o", output]);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain("all-bad.jsonl:1: not valid JSON");
    expect(failure.stderr).toContain(
      `ssb-verify: nothing was graded: all 2 lines are malformed in ${bad} (see above); --output ${output} was not written\n`,
    );
    // The earlier output is kept: an empty result does not replace it.
    expect(readFileSync(output, "utf8")).toBe("earlier result\n");
    expect(readdirSync(folder)).toEqual(["out.jsonl"]);
  });

  it("names the fields a line has when the gold field is missing, and counts a repeated error after 5 lines", async () => {
    const input = join(dir, "no-answer-field.jsonl");
    const rows = Array.from({ length: 8 }, (_, i) =>
      JSON.stringify({ id: i, text: "\\boxed{3}", gold: "3" }),
    );
    rows.push(JSON.stringify({ id: 8, text: "\\boxed{3}", answer: "3" }));
    writeFileSync(input, `${rows.join("\n")}\n`);
    const { stderr } = await run("node", [cli, input, "--response-field", "text", "--gold-field", "answer"]);
    const problem = 'field "answer" must be a string or number, found nothing';
    expect(stderr.trim().split("\n")).toEqual([
      ...[1, 2, 3, 4, 5].map((n) => `ssb-verify: ${input}:${n}: ${problem} (present: id, text, gold)`),
      `ssb-verify: ${input}: ... and 3 more lines with the same error (${problem})`,
      expect.stringMatching(/^ssb-verify: 1 graded, 1 correct, .* 8 malformed skipped/),
    ]);
    // --strict stops at the first, which names the fields too.
    const failure = await fail(["--strict", input, "--response-field", "text", "--gold-field", "answer"]);
    expect(failure.stderr).toBe(`ssb-verify: ${input}:1: ${problem} (present: id, text, gold)\n`);
  });

  it("refuses an option that takes a value given twice, naming it (also -o with --output)", async () => {
    let failure = await fail([join(dir, "in.jsonl"), "--rules", "boxed", "--rules", "gsm8k"]);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toBe(
      `ssb-verify: --rules is given more than once ("boxed", then "gsm8k"); give it once\n${SEE_HELP}`,
    );
    failure = await fail([
      join(dir, "in.jsonl"),
      "-o",
      join(dir, "a.jsonl"),
      "--output",
      join(dir, "b.jsonl"),
    ]);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toMatch(/^ssb-verify: --output is given more than once/);
    // A switch given twice is still one switch.
    const { stdout } = await run("node", [cli, "--last-number", "--last-number", join(dir, "in.jsonl")]);
    expect(stdout.trim().split("\n")).toHaveLength(3);
  });

  it('refuses a --budget-ms that is not written as a decimal number ("" is not 0, 0x10 not 16)', async () => {
    for (const budget of ["", "0x10", "abc"]) {
      const failure = await run("node", [cli, `--budget-ms=${budget}`, join(dir, "in.jsonl")]).catch(
        (e: { code: number; stderr: string }) => e,
      );
      expect("code" in failure ? failure.code : 0).toBe(2);
      expect(failure.stderr).toContain(
        `--budget-ms: expected a positive number of milliseconds or Infinity, got "${budget}"`,
      );
    }
  });

  it("--budget-ms takes Infinity (no limit, as the API's budgetMs does) and refuses 0, -Infinity and 1e-400", async () => {
    for (const budget of ["Infinity", "1e400", "0.5"]) {
      const { stdout } = await run("node", [cli, `--budget-ms=${budget}`, join(dir, "in.jsonl")]);
      expect(stdout.trim().split("\n")).toHaveLength(3);
    }
    for (const budget of ["0", "-Infinity", "1e-400", "infinity"]) {
      const failure = await fail([`--budget-ms=${budget}`, join(dir, "in.jsonl")]);
      expect(failure.code).toBe(2);
      expect(failure.stderr).toContain(`--budget-ms: expected a positive number`);
    }
  });

  it("says a misspelled flag in one line with the nearest flag, without Node's hint about positionals", async () => {
    let failure = await fail([join(dir, "in.jsonl"), "--respone-field", "text"]);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toBe(
      `ssb-verify: unknown option --respone-field (did you mean --response-field?)\n${SEE_HELP}`,
    );
    failure = await fail([join(dir, "in.jsonl"), "--budget-ms"]);
    expect(failure.stderr).toBe(`ssb-verify: --budget-ms needs a value\n${SEE_HELP}`);
  });

  it("rejects unknown rules clearly", async () => {
    const failure = await run("node", [cli, "--rules", "boxed,magic", join(dir, "in.jsonl")]).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect("code" in failure ? failure.code : 0).toBe(2);
    expect(failure.stderr).toContain('unknown rule "magic"');
  });

  it("refuses an --output that is a directory with one line naming it", async () => {
    const outDir = join(dir, "out-dir");
    mkdirSync(outDir, { recursive: true });
    const failure = await fail([join(dir, "in.jsonl"), "-o", outDir]);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toBe(
      `ssb-verify: --output ${outDir} is a directory; give the path of a file to write\n${SEE_HELP}`,
    );
    expect(readdirSync(outDir)).toEqual([]);
  });

  it("refuses an --output in a folder that does not exist, naming it", async () => {
    const output = join(dir, "no-such-folder", "out.jsonl");
    const failure = await fail([join(dir, "in.jsonl"), "-o", output]);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toBe(
      `ssb-verify: --output ${output}: ${join(dir, "no-such-folder")} is not an existing folder\n${SEE_HELP}`,
    );
  });

  it("refuses an input that is a directory, naming it", async () => {
    const failure = await fail([dir]);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toBe(`ssb-verify: ${dir}: is a folder, expected a file\n${SEE_HELP}`);
  });

  it("names a missing input and leaves an earlier --output as it was", async () => {
    const output = join(dir, "kept.jsonl");
    writeFileSync(output, "earlier result\n");
    const missing = join(dir, "missing.jsonl");
    const failure = await fail([missing, "-o", output]);
    expect(failure.code).toBe(2);
    expect(failure.stderr).toBe(`ssb-verify: ${missing}: no such file\n${SEE_HELP}`);
    expect(readFileSync(output, "utf8")).toBe("earlier result\n");
  });

  it("--strict failing partway leaves an earlier --output whole and no temporary file", async () => {
    const folder = mkdtempSync(join(dir, "strict-"));
    const output = join(folder, "out.jsonl");
    writeFileSync(output, "earlier result\n");
    const failure = await fail(["--strict", join(dir, "in.jsonl"), "-o", output]);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toContain("in.jsonl:3: not valid JSON");
    expect(failure.stderr).toContain(`--output ${output} was not written`);
    expect(readFileSync(output, "utf8")).toBe("earlier result\n");
    expect(readdirSync(folder)).toEqual(["out.jsonl"]);
  });

  /** Starts `ssb-verify -o FILE` on a pipe, sends two lines, and SIGINT once the output is open. */
  async function interrupt(
    output: string,
    endInput: boolean,
  ): Promise<{ code: number | null; stderr: string }> {
    const child = spawn(process.execPath, [cli, "-o", output], { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    child.stdin.write(`${lines[0]}\n${lines[1]}\n`);
    // The temporary file appears once the output is open, after the signal handlers are in place.
    const folder = dirname(output);
    for (let i = 0; i < 400 && readdirSync(folder).length < 2; i++) await sleep(25);
    expect(readdirSync(folder)).toHaveLength(2);
    child.kill("SIGINT");
    // Ctrl-C in a terminal also ends the producer of a pipe; otherwise the input stays open.
    if (endInput) child.stdin.end();
    const code = await exited;
    if (!endInput) child.stdin.destroy();
    return { code, stderr };
  }

  it("Ctrl-C during -o FILE removes the temporary file, keeps the earlier FILE and says so (exit 130)", async () => {
    const folder = mkdtempSync(join(dir, "sigint-"));
    const output = join(folder, "out.jsonl");
    writeFileSync(output, "earlier result\n");
    const { code, stderr } = await interrupt(output, false);
    expect(code).toBe(130);
    // The lines may or may not have been read when the signal came.
    const stopped = "ssb-verify: stopped by SIGINT after [0-2] graded lines?";
    expect(stderr).toMatch(
      new RegExp(`^${stopped}: nothing was written to \\S+ \\(the earlier \\S+ is kept\\)\n$`),
    );
    expect(stderr).toContain(`nothing was written to ${output} (the earlier ${output} is kept)`);
    expect(readFileSync(output, "utf8")).toBe("earlier result\n");
    expect(readdirSync(folder)).toEqual(["out.jsonl"]);
  });

  it("Ctrl-C as the piped input ends: either stopped with FILE kept, or complete with FILE written", async () => {
    // The end of input and the signal race; a signal handled while the last lines were flushed used to
    // rename the output into place and then say that nothing was written.
    for (let i = 0; i < 3; i++) {
      const folder = mkdtempSync(join(dir, "sigint-eof-"));
      const output = join(folder, "out.jsonl");
      writeFileSync(output, "earlier result\n");
      const { code, stderr } = await interrupt(output, true);
      expect(readdirSync(folder)).toEqual(["out.jsonl"]);
      if (code === 130) {
        expect(stderr).toMatch(/stopped by SIGINT after \d graded lines?: nothing was written to/);
        expect(readFileSync(output, "utf8")).toBe("earlier result\n");
      } else {
        expect(code).toBe(0);
        expect(stderr).toMatch(/^ssb-verify: 2 graded/);
        expect(readFileSync(output, "utf8").trim().split("\n")).toHaveLength(2);
      }
    }
  });

  it("a successful run replaces an earlier --output and leaves no temporary file", async () => {
    const folder = mkdtempSync(join(dir, "replace-"));
    const output = join(folder, "out.jsonl");
    writeFileSync(output, "earlier result\n");
    await run("node", [cli, join(dir, "in.jsonl"), "-o", output]);
    const ids = readFileSync(output, "utf8")
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as Record<string, unknown>).id);
    expect(ids).toEqual(["a", "b", "d"]);
    expect(readdirSync(folder)).toEqual(["out.jsonl"]);
  });
});
