import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "./cli-main.js";
import type { PairRecord, TeacherPromptRecord } from "./pair-record.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "ssb-cli-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function run(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, {
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
  });
  return { code, stdout, stderr };
}

const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;

function inputs(dir: string) {
  const problems = join(dir, "problems.jsonl");
  const rollouts = join(dir, "rollouts.jsonl");
  writeFileSync(
    problems,
    jsonl([
      { id: "g1", question: "2 + 16?", answer: "18" },
      { id: "g2", question: "1 + 1?", answer: "2" },
      { id: "g3", question: "3 * 3?", answer: "9" },
    ]),
  );
  const r = (problemId: string, sampleIndex: number, text: string, finishReason = "stop") => ({
    problemId,
    sampleIndex,
    text,
    finishReason,
  });
  writeFileSync(
    rollouts,
    jsonl([
      r("g1", 0, "2 + 16 = 18, so \\boxed{18}"),
      r("g1", 1, "I get \\boxed{17.0}"),
      r("g1", 2, "Maybe \\boxed{17}"),
      r("g1", 3, "Hmm \\boxed{20}"),
      r("g2", 0, "\\boxed{2}"),
      r("g2", 1, "\\boxed{2.00}"),
      r("g3", 0, "The answer is 9"),
      r("g3", 1, "\\boxed{9", "length"),
    ]),
  );
  return { problems, rollouts };
}

describe("ssb-curate", () => {
  it("selection only: writes teacher prompts, drops and a summary table", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    const out = join(dir, "out");
    const res = await run(["--problems", problems, "--rollouts", rollouts, "--out", out, "--quiet"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/selected \(mixed right\/wrong\)\s+1/);
    expect(res.stdout).toMatch(/ {2}all-correct\s+1/);
    expect(res.stdout).toMatch(/ {2}no-answers\s+1/);
    const prompts = readFileSync(join(out, "teacher-prompts.jsonl"), "utf8").trim().split("\n");
    expect(prompts).toHaveLength(1);
    // Without --quiet, the bar's one line (not a terminal) says how many were selected for a teacher.
    const loud = await run(["--problems", problems, "--rollouts", rollouts, "--out", join(dir, "loud")]);
    expect(loud.stderr).toMatch(
      /^ssb-curate \[█+\] 3\/3 problems 100% .* {2}selected 1 {2}dropped 2 {2}0 resumed {2}/,
    );
    const prompt = JSON.parse(prompts[0]!) as TeacherPromptRecord;
    expect(prompt.chosenWrong).toMatchObject({ answer: "17.0", count: 2, groups: 2 });
    expect(prompt.messages[1]!.content).toContain("---\n2 + 16 = 18, so \\boxed{18}\n---");
    expect(prompt.requests).toEqual([
      { id: "g1#1", sampling: expect.objectContaining({ temperature: 0.4, topK: 50 }) },
    ]);
  });

  it("names the problemIds of rollouts whose problem is not in the problems file, which are left out", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    const stray = (problemId: string, sampleIndex: number) =>
      JSON.stringify({ problemId, sampleIndex, text: "\\boxed{1}" });
    writeFileSync(rollouts, `${readFileSync(rollouts, "utf8")}${stray("g9", 0)}\n`);
    const one = await run([
      "--problems",
      problems,
      "--rollouts",
      rollouts,
      "--out",
      join(dir, "a"),
      "--quiet",
    ]);
    expect(one.code).toBe(0);
    expect(one.stderr).toBe(
      `[ssb-curate] warning: 1 rollout names a problem not in ${problems} (problemId "g9"); it is left out of this run (${rollouts} is unchanged)\n`,
    );
    const ids = ["g9", "g9", "h1", "h2", "h3", "h4", "h5"];
    writeFileSync(
      rollouts,
      `${readFileSync(rollouts, "utf8")}${ids.map((id, i) => stray(id, i + 1)).join("\n")}\n`,
    );
    const many = await run([
      "--problems",
      problems,
      "--rollouts",
      rollouts,
      "--out",
      join(dir, "b"),
      "--quiet",
    ]);
    expect(many.stderr).toMatch(
      /^\[ssb-curate\] warning: 8 rollouts name problems not in .* \(problemId "g9", "h1", "h2", "h3", "h4", \.\.\.\); they are left out of this run/,
    );
  });

  it("with --teacher-replies: checks each reply and writes pairs", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    const replies = join(dir, "replies.jsonl");
    writeFileSync(
      replies,
      jsonl([
        {
          id: "g1#1",
          text: "Step by step... \\boxed{18}",
          tokenIds: [5, 6, 7, 2],
          finishReason: "stop",
          logitKey: "g1#1",
        },
      ]),
    );
    const out = join(dir, "out");
    const res = await run([
      "--problems",
      problems,
      "--rollouts",
      rollouts,
      "--out",
      out,
      "--teacher-replies",
      replies,
      "--json",
    ]);
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ mode: "teacher", kept: 1, problems: 3 });
    // --json prints summary.json as written, unmatchedRollouts included (a script reads one or the other).
    expect(JSON.parse(res.stdout)).toEqual(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")));
    // One progress line at the end (not a terminal: no line per problem), with what was kept and dropped.
    expect(res.stderr).toMatch(
      /^ssb-curate \[█+\] 3\/3 problems 100% .* {2}kept 1 {2}dropped 2 {2}0 resumed {2}.*ETA 0s\n$/,
    );
    const pair = JSON.parse(readFileSync(join(out, "pairs.jsonl"), "utf8")) as PairRecord;
    expect(pair).toMatchObject({
      problemId: "g1",
      responseTokenIds: [5, 6, 7, 2],
      logitKey: "g1#1",
      teacherAnswer: "18",
    });
  });

  it("reads inputs, templates and the student system file that start with a byte order mark", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    for (const f of [problems, rollouts]) writeFileSync(f, `\ufeff${readFileSync(f, "utf8")}`);
    const jsonTemplate = join(dir, "t.json");
    writeFileSync(jsonTemplate, `\ufeff${JSON.stringify({ name: "t", user: "Solve: {{question}}" })}`);
    const textTemplate = join(dir, "t.txt");
    writeFileSync(textTemplate, "\ufeffPlain: {{question}}");
    const system = join(dir, "system.txt");
    writeFileSync(system, "\ufeffYou are a tutor.");
    for (const [template, start] of [
      [jsonTemplate, "Solve: "],
      [textTemplate, "Plain: "],
    ] as const) {
      const out = join(dir, `out-${start.slice(0, 5)}`);
      const res = await run([
        ...["--problems", problems, "--rollouts", rollouts, "--out", out, "--quiet"],
        ...["--template", template, "--student-system-file", system],
      ]);
      expect(res.stderr).toBe("");
      expect(res.code).toBe(0);
      const prompt = JSON.parse(
        readFileSync(join(out, "teacher-prompts.jsonl"), "utf8"),
      ) as TeacherPromptRecord;
      expect(prompt.messages[1]!.content.startsWith(`${start}2 + 16?`)).toBe(true);
      expect(prompt.studentMessages[0]!.content).toBe("You are a tutor.");
    }
  });

  it("refuses a --temperature or --top-p that is not written as a decimal number, before writing anything", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    const out = join(dir, "out");
    for (const [flag, value] of [
      ["temperature", ""],
      ["temperature", " "],
      ["temperature", "0x10"],
      ["top-p", ""],
    ]) {
      const res = await run([
        "--problems",
        problems,
        "--rollouts",
        rollouts,
        "--out",
        out,
        `--${flag}=${value}`,
      ]);
      expect(res.code).toBe(2);
      expect(res.stderr.split("\n")[0]).toContain(`--${flag} must be a`);
      expect(res.stderr.split("\n")[0]).toContain(`got "${value}"`);
    }
    expect(existsSync(out)).toBe(false);
  });

  it("refuses a --seed that is not an integer from 0 to 2^53 - 1, before writing anything", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    const out = join(dir, "out");
    for (const seed of ["9007199254740992", "9007199254740993", "1e300", "1.5", "-1", "0x10", " 7", ""]) {
      // "--seed=-1": as two words parseArgs itself refuses a value that looks like an option.
      const res = await run(["--problems", problems, "--rollouts", rollouts, "--out", out, `--seed=${seed}`]);
      expect(res.code).toBe(2);
      expect(res.stderr.split("\n")[0]).toBe(
        `ssb-curate: --seed must be an integer from 0 to 9007199254740991, got "${seed}"`,
      );
    }
    expect(existsSync(out)).toBe(false);
    const res = await run([
      ...["--problems", problems, "--rollouts", rollouts, "--out", out, "--quiet"],
      ...["--seed", "9007199254740991"],
    ]);
    expect(res.code).toBe(0);
    expect(JSON.parse(readFileSync(join(out, "run.json"), "utf8")).settings.seed).toBe(9007199254740991);
  });

  it("refuses a flag that takes a value given twice, naming it; a repeated switch is one switch", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    const out = join(dir, "out");
    const base = ["--problems", problems, "--rollouts", rollouts, "--out", out];
    let res = await run([...base, "--seed", "1", "--seed=2"]);
    expect(res.code).toBe(2);
    expect(res.stderr.split("\n")[0]).toBe(
      'ssb-curate: --seed is given more than once ("1", then "2"); give it once',
    );
    res = await run([...base, "--out", join(dir, "other")]);
    expect(res.code).toBe(2);
    expect(res.stderr.split("\n")[0]).toBe(
      `ssb-curate: --out is given more than once (${JSON.stringify(out)}, then ${JSON.stringify(join(dir, "other"))}); give it once`,
    );
    expect(existsSync(out)).toBe(false);
    res = await run([...base, "--quiet", "--quiet"]);
    expect(res.code).toBe(0);
  });

  it("refuses a top-p outside (0, 1] before writing anything", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    const out = join(dir, "out");
    const res = await run(["--problems", problems, "--rollouts", rollouts, "--out", out, "--top-p", "7"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--top-p must be a number > 0 and <= 1, got "7"/);
    expect(existsSync(out)).toBe(false);
  });

  it("names the file and line of a bad JSONL record", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    writeFileSync(rollouts, `${readFileSync(rollouts, "utf8")}{"problemId": "g1", "sampleIndex": 9,\n`);
    let res = await run(["--problems", problems, "--rollouts", rollouts, "--out", join(dir, "o")]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`${rollouts}:9:38: not valid JSON`);
    writeFileSync(
      problems,
      jsonl([
        { id: "a", question: "q", answer: "1" },
        { id: "b", question: 7, answer: "1" },
      ]),
    );
    res = await run(["--problems", problems, "--rollouts", rollouts, "--out", join(dir, "o2")]);
    expect(res.stderr).toContain(`${problems}:2: field "question" must be a string, found number 7`);
    writeFileSync(rollouts, jsonl([{ problemId: "a", sampleIndex: -1, text: "x" }]));
    writeFileSync(problems, jsonl([{ id: "a", question: "q", answer: "1" }]));
    res = await run(["--problems", problems, "--rollouts", rollouts, "--out", join(dir, "o3")]);
    expect(res.stderr).toContain(`${rollouts}:1: field "sampleIndex" must be an integer >= 0`);
  });

  it("explains usage errors, --model and missing files", async () => {
    expect((await run(["--help"])).stdout).toMatch(/^Usage: ssb-curate/);
    const missing = await run(["--problems", "p"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--rollouts is required/);
    const bad = await run(["--problems", "p", "--rollouts", "r", "--out", "o", "--correct", "best"]);
    expect(bad.stderr).toMatch(/--correct must be one of first, shortest, random; got "best"/);
    const unknown = await run(["--frobnicate"]);
    expect(unknown.code).toBe(2);
    // One line and a pointer to --help, as every ssb CLI says it (the whole usage scrolled the error away).
    const typo = await run(["--problems", "p", "--rollouts", "r", "--out", "o", "--temprature", "0.5"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe(
      'ssb-curate: unknown option --temprature (did you mean --temperature?)\nRun "ssb-curate --help" for the options.\n',
    );
    expect(missing.stderr).toBe(
      'ssb-curate: --rollouts is required\nRun "ssb-curate --help" for the options.\n',
    );
    expect((await run(["--model", "m"])).stderr).toMatch(/@ssb\/rollout/);
    const nofile = await run(["--problems", "/nonexistent/p.jsonl", "--rollouts", "r", "--out", tmp()]);
    expect(nofile.code).toBe(2);
    expect(nofile.stderr).toBe(
      'ssb-curate: --problems /nonexistent/p.jsonl: no such file\nRun "ssb-curate --help" for the options.\n',
    );
  });

  it("a path flag naming nothing or a folder is a usage error (exit 2) naming the flag, writing nothing", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    const folder = join(dir, "folder");
    mkdirSync(folder);
    const missing = join(dir, "missing.jsonl");
    const out = join(dir, "out");
    const base = ["--problems", problems, "--rollouts", rollouts, "--out", out];
    const cases: [string[], string][] = [
      [["--problems", missing, "--rollouts", rollouts, "--out", out], `--problems ${missing}: no such file`],
      [
        ["--problems", folder, "--rollouts", rollouts, "--out", out],
        `--problems ${folder}: is a folder, expected a file`,
      ],
      [["--problems", problems, "--rollouts", missing, "--out", out], `--rollouts ${missing}: no such file`],
      [
        ["--problems", problems, "--rollouts", folder, "--out", out],
        `--rollouts ${folder}: is a folder, expected a file`,
      ],
      [[...base, "--teacher-replies", missing], `--teacher-replies ${missing}: no such file`],
      [[...base, "--teacher-replies", folder], `--teacher-replies ${folder}: is a folder, expected a file`],
      [[...base, "--student-system-file", missing], `--student-system-file ${missing}: no such file`],
      [
        [...base, "--student-system-file", folder],
        `--student-system-file ${folder}: is a folder, expected a file`,
      ],
      [
        [...base, "--template", "exat"],
        "--template exat: no such file (--template takes default, exact or a template file)",
      ],
      [
        [...base, "--template", folder],
        `--template ${folder}: is a folder, expected a template file (--template takes default, exact or a template file)`,
      ],
    ];
    for (const [args, message] of cases) {
      const res = await run(args);
      expect(res.stderr).toBe(`ssb-curate: ${message}\nRun "ssb-curate --help" for the options.\n`);
      expect(res.code).toBe(2);
    }
    expect(existsSync(out)).toBe(false);
  });

  it("refuses an empty problems file and a rollouts file of blank lines, naming each, writing nothing", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    const out = join(dir, "out");
    const empty = join(dir, "empty.jsonl");
    writeFileSync(empty, "");
    let res = await run(["--problems", empty, "--rollouts", rollouts, "--out", out]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `ssb-curate: --problems ${empty} holds no problems (the file is empty or has only blank lines)\n`,
    );
    const blank = join(dir, "blank.jsonl");
    writeFileSync(blank, "\n  \n\r\n");
    res = await run(["--problems", problems, "--rollouts", blank, "--out", out]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `ssb-curate: --rollouts ${blank} holds no rollouts (the file is empty or has only blank lines)\n`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("names the file and both lines of a duplicate problem id or sample, writing nothing", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    const out = join(dir, "out");
    writeFileSync(
      problems,
      `${readFileSync(problems, "utf8")}${JSON.stringify({ id: "g2", question: "q", answer: "1" })}\n`,
    );
    let res = await run(["--problems", problems, "--rollouts", rollouts, "--out", out]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`ssb-curate: ${problems}:4: duplicate problem id "g2" (first on line 2)\n`);
    inputs(dir);
    writeFileSync(
      rollouts,
      `${readFileSync(rollouts, "utf8")}${JSON.stringify({ problemId: "g1", sampleIndex: 2, text: "\\boxed{5}" })}\n`,
    );
    res = await run(["--problems", problems, "--rollouts", rollouts, "--out", out]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(
      `ssb-curate: ${rollouts}:9: duplicate sample: problem "g1", sampleIndex 2 (first on line 3)\n`,
    );
    expect(existsSync(out)).toBe(false);
  });

  it("refuses an --out that is a file, or under one, naming the flag and path", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    const file = join(dir, "a-file");
    writeFileSync(file, "kept\n");
    let res = await run(["--problems", problems, "--rollouts", rollouts, "--out", file]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`ssb-curate: --out ${file} exists and is not a folder; give a folder path\n`);
    res = await run(["--problems", problems, "--rollouts", rollouts, "--out", join(file, "sub")]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe(`ssb-curate: --out ${join(file, "sub")}: ${file} exists and is not a folder\n`);
    expect(readFileSync(file, "utf8")).toBe("kept\n");
  });

  it("names a directory given as an input file, and an unreadable --student-system-file", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    const folder = join(dir, "folder");
    mkdirSync(folder);
    const out = join(dir, "out");
    let res = await run(["--problems", folder, "--rollouts", rollouts, "--out", out]);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      `ssb-curate: --problems ${folder}: is a folder, expected a file\nRun "ssb-curate --help" for the options.\n`,
    );
    const missing = join(dir, "system.txt");
    res = await run([
      "--problems",
      problems,
      "--rollouts",
      rollouts,
      "--out",
      out,
      "--student-system-file",
      missing,
    ]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(new RegExp(`^ssb-curate: --student-system-file ${missing}: no such file\n`));
    expect(existsSync(out)).toBe(false);
  });

  it("--answer-rules grades R1-Zero answer blocks and GSM8K's ####, which the default boxed-only grader drops", async () => {
    const dir = tmp();
    const problems = join(dir, "problems.jsonl");
    const rollouts = join(dir, "rollouts.jsonl");
    writeFileSync(problems, jsonl([{ id: "t1", question: "3 * 6?", answer: "18" }]));
    const r = (sampleIndex: number, text: string) => ({
      problemId: "t1",
      sampleIndex,
      text,
      finishReason: "stop",
    });
    writeFileSync(
      rollouts,
      jsonl([
        r(0, "<think>\n3 * 6 = 18\n</think>\n<answer>18</answer>"),
        r(1, "<think>\n3 + 6\n</think>\n<answer>9</answer>"),
        r(2, "3 + 6 = 9\n#### 9"),
      ]),
    );
    const base = ["--problems", problems, "--rollouts", rollouts, "--quiet"];
    let res = await run([...base, "--out", join(dir, "boxed")]);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/ {2}no-answers\s+1/);

    const out = join(dir, "out");
    res = await run([...base, "--out", out, "--answer-rules", "boxed,answer-tag, gsm8k"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/selected \(mixed right\/wrong\)\s+1/);
    const run1 = JSON.parse(readFileSync(join(out, "run.json"), "utf8"));
    expect(run1.settings.grader).toBe("@ssb/verifier rules boxed,answer-tag,gsm8k");
    const prompt = JSON.parse(
      readFileSync(join(out, "teacher-prompts.jsonl"), "utf8"),
    ) as TeacherPromptRecord;
    expect(prompt.chosenWrong).toMatchObject({ answer: "9", count: 2 });

    // The rules are the run's: a resume with others, or without them, is refused naming both.
    res = await run([...base, "--out", out, "--answer-rules", "boxed,answer-tag"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      'holds a run with grader="@ssb/verifier rules boxed,answer-tag,gsm8k", but this run has grader="@ssb/verifier rules boxed,answer-tag"',
    );
    // ... and the --answer-rules to give.
    const hint =
      "use another output directory (or delete this one) instead of mixing two runs; resume with --answer-rules boxed,answer-tag,gsm8k " +
      `(answerRules ["boxed","answer-tag","gsm8k"] in code; run.json's grader), or use another --out`;
    expect(res.stderr).toContain(hint);
    res = await run([...base, "--out", out]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('but this run has grader="@ssb/verifier";');
    expect(res.stderr).toContain(hint);
    // A run without rules (boxed only) resumed with some is told to give boxed.
    res = await run([...base, "--out", join(dir, "boxed"), "--answer-rules", "answer-tag"]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(
      `resume with --answer-rules boxed (answerRules ["boxed"] in code; run.json's grader), or use another --out`,
    );
    res = await run([...base, "--out", out, "--answer-rules", "boxed,answer-tag,gsm8k"]);
    expect(res.code).toBe(0);
  });

  it("refuses an --answer-rules name the verifier does not have, naming the flag and the valid names", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    const out = join(dir, "out");
    const valid = "valid rules: boxed, gsm8k, final-answer, answer-is, dollar, answer-tag, last-number";
    for (const [rules, message] of [
      [
        "boxed,answer_tag",
        `--answer-rules: unknown rule "answer_tag", did you mean "answer-tag"? (${valid})`,
      ],
      ["boxed,", `--answer-rules: empty rule name (a stray comma?); ${valid}`],
      ["", `--answer-rules: empty rule name (a stray comma?); ${valid}`],
      ["boxed,,answer-tag", `--answer-rules: empty rule name (a stray comma?); ${valid}`],
      ["boxed,boxed", '--answer-rules: rule "boxed" is given twice'],
    ] as const) {
      const res = await run([
        "--problems",
        problems,
        "--rollouts",
        rollouts,
        "--out",
        out,
        "--answer-rules",
        rules,
      ]);
      expect(res.code).toBe(2);
      expect(res.stderr.split("\n")[0]).toBe(`ssb-curate: ${message}`);
    }
    expect(existsSync(out)).toBe(false);
  });

  it("notes on stderr, in one line, a resume under another @ssb/verifier version than decided earlier problems", async () => {
    const dir = tmp();
    const { problems, rollouts } = inputs(dir);
    const out = join(dir, "out");
    const args = ["--problems", problems, "--rollouts", rollouts, "--out", out, "--quiet"];
    expect((await run(args)).code).toBe(0);
    const runFile = join(out, "run.json");
    const recorded = JSON.parse(readFileSync(runFile, "utf8"));
    const version = recorded.verifierVersion as string;
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect((await run(args)).stderr).toBe("");
    writeFileSync(runFile, `${JSON.stringify({ ...recorded, verifierVersion: "0.1.0" }, null, 2)}\n`);
    const res = await run(args);
    expect(res.code).toBe(0);
    expect(res.stderr).toBe(
      `[ssb-curate] note: ${out}: 3 problems were decided by @ssb/verifier 0.1.0, and this run grades with @ssb/verifier ${version}, whose grading differs; those problems keep their earlier decisions, and a fresh output folder (--out) regrades everything\n`,
    );
  });
});
