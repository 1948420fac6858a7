import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "./cli-main.js";
import type { TeacherPromptRecord } from "./pair-record.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

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

const jsonl = (rows: unknown[]): string => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;

/** A selection run, then teacher replies for its prompts: `cut` of them stopped at the token limit. */
async function curateWithReplies(
  extra: string[],
  cut: (problemId: string) => boolean,
  repliesSettings?: unknown,
) {
  const dir = mkdtempSync(join(tmpdir(), "ssb-truncation-"));
  dirs.push(dir);
  const problems = join(dir, "problems.jsonl");
  const rollouts = join(dir, "rollouts.jsonl");
  writeFileSync(
    problems,
    jsonl([
      { id: "a", question: "2 + 16?", answer: "18" },
      { id: "b", question: "3 * 3?", answer: "9" },
    ]),
  );
  writeFileSync(
    rollouts,
    jsonl([
      { problemId: "a", sampleIndex: 0, text: "\\boxed{18}" },
      { problemId: "a", sampleIndex: 1, text: "\\boxed{17}" },
      { problemId: "b", sampleIndex: 0, text: "\\boxed{9}" },
      { problemId: "b", sampleIndex: 1, text: "\\boxed{6}" },
    ]),
  );
  const out = join(dir, "out");
  const base = ["--problems", problems, "--rollouts", rollouts, "--out", out, "--quiet", ...extra];
  expect((await run(base)).code).toBe(0);
  const prompts = readFileSync(join(out, "teacher-prompts.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as TeacherPromptRecord);
  const replies = join(dir, "replies.jsonl");
  writeFileSync(
    replies,
    jsonl(
      prompts.map((p) => ({
        id: p.requests[0]!.id,
        text: cut(p.problemId) ? "Step 1: first we" : `So \\boxed{${p.gold}}`,
        tokenIds: [1, 2, 3],
        finishReason: cut(p.problemId) ? "length" : "stop",
      })),
    ),
  );
  if (repliesSettings !== undefined)
    writeFileSync(`${replies}.settings.json`, JSON.stringify(repliesSettings));
  return run([...base, "--teacher-replies", replies]);
}

describe("ssb-curate on teacher replies cut off at the token limit", () => {
  it("says how many, which limit applied and what to do (nothing said when none were)", async () => {
    const res = await curateWithReplies([], (id) => id === "a");
    expect(res.code).toBe(0);
    expect(res.stderr).toBe(
      "[ssb-curate] note: 1 teacher reply was cut off at the generator's limit (no --max-new-tokens here, so ssb-rollout --teacher-prompts used its own --max-new-tokens, default 256) and dropped as teacher-truncated (dropped.jsonl). The teacher is asked for a solution more detailed than the rollouts (the reference allows 8192 new tokens): to give it more, rerun with a larger --max-new-tokens and a new --out, then generate the replies again. A try of 0 tokens there means its prompt did not fit the model's context.\n",
    );
    const capped = await curateWithReplies(["--max-new-tokens", "64"], () => true);
    expect(capped.stderr).toMatch(
      /^\[ssb-curate\] note: 2 teacher replies were cut off at --max-new-tokens 64 and dropped/,
    );
    expect((await curateWithReplies([], () => false)).stderr).toBe("");
    // ssb-rollout --teacher-prompts --max-new-tokens 48 records its cap beside the replies: the note names it
    // (it said "default 256" whatever the replies were generated with).
    const recorded = await curateWithReplies([], () => true, {
      job: "teacher-replies",
      sampling: { maxNewTokens: 48 },
    });
    expect(recorded.stderr).toMatch(
      /^\[ssb-curate\] note: 2 teacher replies were cut off at the 48 new tokens ssb-rollout --teacher-prompts allowed \(maxNewTokens in .*replies\.jsonl\.settings\.json\) and dropped/,
    );
  });
});
