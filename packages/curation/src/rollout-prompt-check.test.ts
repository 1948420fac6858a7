import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { fakeEquivalence, fakeGrader, rollouts } from "../test/fakes.js";
import { main } from "./cli-main.js";
import { curateProblem, type SelectionConfig } from "./curate-problem.js";
import type { ChatMessage, Problem, Rollout } from "./records.js";
import { runCuration } from "./run-curation.js";
import { MATH_TUTOR_SYSTEM_PROMPT } from "./teacher-prompt.js";

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "ssb-rollout-prompt-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const problem: Problem = { id: "p1", question: "What is 3 + 4?", answer: "7" };
const config: SelectionConfig = { grader: fakeGrader, equivalence: fakeEquivalence };
const QWEN = "Please reason step by step, and put your final answer within \\boxed{}.";

/** Rollouts as ssb-rollout writes them: each records the messages it was sampled from. */
function sampledWith(prompt: ChatMessage[], p: Problem = problem): Rollout[] {
  return rollouts(p.id, ["7", "5", "5", "7"]).map((r) => ({ ...r, prompt }));
}
const userTurn = (p: Problem = problem): ChatMessage => ({ role: "user", content: p.question });

function studentOf(result: ReturnType<typeof curateProblem>): ChatMessage[] {
  if (!("prompt" in result)) throw new Error("expected a selected problem");
  return result.prompt.studentMessages;
}

describe("the student messages and the prompt the rollouts were sampled from", () => {
  it("accepts rollouts sampled from the student messages (ssb run's rollouts) and rollouts without a prompt", () => {
    const tutor = sampledWith([{ role: "system", content: MATH_TUTOR_SYSTEM_PROMPT }, userTurn()]);
    expect(studentOf(curateProblem(problem, tutor, config))).toEqual(tutor[0]!.prompt);
    expect(studentOf(curateProblem(problem, rollouts("p1", ["7", "5"]), config))).toHaveLength(2);
  });

  it("refuses rollouts sampled with another system prompt, naming the sample, the difference and the flag", () => {
    const other = sampledWith([{ role: "system", content: QWEN }, userTurn()]);
    expect(() => curateProblem(problem, other, config)).toThrow(
      /^curateProblem: the rollout of problem "p1" with sampleIndex 0 was sampled with the system prompt "Please reason step by step, and put your…" \(its "prompt" field\), but the student messages would have the system prompt "\*\*Role:\*\* You are an expert math tutor\. …" \(they differ from character 1: "Please reason step b" vs "\*\*Role:\*\* You are an"\): pass that system prompt with --student-system-file FILE \(studentSystemPrompt in code\)\. SSB trains the student on the prompt its rollouts were sampled from/,
    );
    expect(studentOf(curateProblem(problem, other, { ...config, studentSystemPrompt: QWEN }))).toEqual([
      { role: "system", content: QWEN },
      userTurn(),
    ]);
    // A prompt that differs only at its end (a text file's newline) says where.
    const tail = sampledWith([{ role: "system", content: `${QWEN}\n` }, userTurn()]);
    expect(() => curateProblem(problem, tail, { ...config, studentSystemPrompt: QWEN })).toThrow(
      /they differ from character 71: "\\n" vs the end of the text/,
    );
  });

  it("refuses rollouts sampled without a system prompt unless the student has none either (null)", () => {
    const bare = sampledWith([userTurn()]);
    expect(() => curateProblem(problem, bare, config)).toThrow(
      /sampleIndex 0 was sampled with no system prompt \(its "prompt" field\), but the student messages would have the system prompt .*: pass --no-student-system \(studentSystemPrompt: null in code\)/,
    );
    expect(studentOf(curateProblem(problem, bare, { ...config, studentSystemPrompt: null }))).toEqual([
      userTurn(),
    ]);
    expect(() =>
      curateProblem(problem, bare, { ...config, studentSystemPrompt: 7 } as unknown as SelectionConfig),
    ).toThrow(/option "studentSystemPrompt" must be a string, or null for none, found number 7/);
  });

  it("refuses rollouts of another problems file whose ids match (GSM8K lines numbered as ids)", () => {
    const elsewhere = sampledWith([
      { role: "system", content: MATH_TUTOR_SYSTEM_PROMPT },
      { role: "user", content: "Janet has 3 ducks. How many legs?" },
    ]);
    expect(() => curateProblem(problem, elsewhere, config)).toThrow(
      /was sampled for the question "Janet has 3 ducks\. How many legs\?" \(its "prompt" field\), not this problem's question "What is 3 \+ 4\?": the rollouts come from another problems file/,
    );
  });

  it("names few-shot prompts and says how to train on the bare question anyway", () => {
    const fewShot = sampledWith([
      { role: "system", content: MATH_TUTOR_SYSTEM_PROMPT },
      { role: "user", content: "1 + 1?" },
      { role: "assistant", content: "\\boxed{2}" },
      userTurn(),
    ]);
    expect(() => curateProblem(problem, fewShot, config)).toThrow(
      /was sampled from the messages \[system, user, assistant, user\] \(its "prompt" field\), not the student messages \[system, user\] .*jq -c 'del\(\.prompt\)'/,
    );
  });

  it("names a prompt that is not chat messages (another tool's formatted prompt string)", () => {
    const formatted = rollouts("p1", ["7", "5"]).map((r) => ({
      ...r,
      prompt: "<|im_start|>user\nWhat is 3 + 4?<|im_end|>",
    })) as unknown as Rollout[];
    expect(() => curateProblem(problem, formatted, config)).toThrow(
      /sampleIndex 0: its "prompt" field must be the chat messages it was sampled from \(\{role, content\} objects\), found the string "<\|im_start\|>user/,
    );
  });

  it("runCuration refuses a mismatch in its last problem before anything is written", async () => {
    const out = join(tmp(), "out");
    const problems: Problem[] = [problem, { id: "p2", question: "What is 2 + 2?", answer: "4" }];
    const second = problems[1]!;
    const all = [
      ...sampledWith([{ role: "system", content: MATH_TUTOR_SYSTEM_PROMPT }, userTurn()]),
      ...sampledWith([{ role: "system", content: QWEN }, userTurn(second)], second),
    ];
    await expect(
      runCuration({ problems, rollouts: all, outDir: out, config: { grader: fakeGrader } }),
    ).rejects.toThrow(/^runCuration: the rollout of problem "p2" with sampleIndex 0 was sampled with/);
    expect(existsSync(out)).toBe(false);
  });
});

describe("ssb-curate and the rollouts' prompt", () => {
  async function run(args: string[]): Promise<{ code: number; stderr: string }> {
    let stderr = "";
    const code = await main(args, {
      stdout: () => {},
      stderr: (t) => {
        stderr += t;
      },
    });
    return { code, stderr };
  }
  function files(dir: string, prompt: ChatMessage[]): { problems: string; rollouts: string } {
    const problems = join(dir, "problems.jsonl");
    const rolloutsFile = join(dir, "rollouts.jsonl");
    writeFileSync(problems, `${JSON.stringify(problem)}\n`);
    const lines = sampledWith(prompt).map((r) => JSON.stringify(r));
    writeFileSync(rolloutsFile, `${lines.join("\n")}\n`);
    return { problems, rollouts: rolloutsFile };
  }
  const studentOfRun = (out: string): ChatMessage[] =>
    JSON.parse(readFileSync(join(out, "teacher-prompts.jsonl"), "utf8")).studentMessages;

  it("takes --no-student-system for rollouts sampled with ssb-rollout --no-system", async () => {
    const dir = tmp();
    const { problems, rollouts: r } = files(dir, [userTurn()]);
    const base = ["--problems", problems, "--rollouts", r, "--quiet"];
    const refused = await run([...base, "--out", join(dir, "a")]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/sampled with no system prompt .*pass --no-student-system/);
    expect(existsSync(join(dir, "a"))).toBe(false);
    const out = join(dir, "b");
    expect((await run([...base, "--out", out, "--no-student-system"])).code).toBe(0);
    expect(studentOfRun(out)).toEqual([userTurn()]);
    const both = await run([...base, "--out", out, "--no-student-system", "--student-system-file", problems]);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/give --student-system-file FILE or --no-student-system, not both/);
  });

  it('reads --student-system-file without the file\'s last line break, as ssb-rollout --system "$(cat FILE)" has it', async () => {
    const dir = tmp();
    const { problems, rollouts: r } = files(dir, [{ role: "system", content: QWEN }, userTurn()]);
    const system = join(dir, "system.txt");
    writeFileSync(system, `${QWEN}\n`);
    const out = join(dir, "out");
    const res = await run([
      "--problems",
      problems,
      "--rollouts",
      r,
      "--out",
      out,
      "--quiet",
      "--student-system-file",
      system,
    ]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    expect(studentOfRun(out)[0]).toEqual({ role: "system", content: QWEN });
  });
});
