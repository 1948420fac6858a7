/**
 * SSB trains the student on the prompt its rollouts were sampled from (the reference uses one system prompt +
 * question for both). Rollouts that record their prompt (`ssb-rollout` writes `prompt`) are checked against
 * the student messages curation writes: a rollout sampled with `ssb-rollout --system OTHER` or `--no-system`
 * would otherwise pair with a student prompt it was never sampled from, and rollouts of another problems file
 * whose ids happen to match (GSM8K lines numbered by line) would be graded against the wrong gold answers.
 */
import { describe } from "./parse-records.js";
import type { ChatMessage, Problem, Rollout } from "./records.js";

const shown = (text: string): string => describe(text).replace(/^the string /, "");

/**
 * Where two texts part, with a little of each from there: two system prompts that share their first 40
 * characters (or differ by a trailing newline) would otherwise print the same.
 */
function difference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const from = (t: string): string =>
    i >= t.length ? "the end of the text" : JSON.stringify(t.slice(i, i + 20));
  return `they differ from character ${i + 1}: ${from(a)} vs ${from(b)}`;
}

/** Why a rollout's recorded prompt is not the student's messages, or null when it is (or it records none). */
export function rolloutPromptMismatch(
  problem: Problem,
  rollout: Rollout,
  student: readonly ChatMessage[],
): string | null {
  const prompt = rollout.prompt;
  if (prompt === undefined) return null;
  const at = `the rollout of problem ${JSON.stringify(problem.id)} with sampleIndex ${rollout.sampleIndex}`;
  // In code a rollout may carry another tool's prompt (a formatted string): say so, rather than fail on it.
  if (!Array.isArray(prompt) || prompt.some((m) => typeof m !== "object" || m === null))
    return `${at}: its "prompt" field must be the chat messages it was sampled from ({role, content} objects), found ${describe(prompt)}; leave the field out if it holds something else`;
  const same =
    prompt.length === student.length &&
    prompt.every((m, i) => m.role === student[i]?.role && m.content === student[i]?.content);
  if (same) return null;
  const fix =
    "SSB trains the student on the prompt its rollouts were sampled from; to train it on other messages anyway, " +
    "drop the rollouts' prompt field first (jq -c 'del(.prompt)' rollouts.jsonl > plain.jsonl)";
  const user = prompt.filter((m) => m.role === "user");
  if (user.length === 1 && user[0]!.content !== problem.question) {
    return `${at} was sampled for the question ${shown(user[0]!.content)} (its "prompt" field), not this problem's question ${shown(problem.question)}: the rollouts come from another problems file (or one whose lines, numbered as ids, were reordered); curate them with the problems file they were sampled from`;
  }
  const rollSystem = prompt.find((m) => m.role === "system")?.content;
  const studentSystem = student.find((m) => m.role === "system")?.content;
  const roles = (ms: readonly ChatMessage[]): string => `[${ms.map((m) => m.role).join(", ")}]`;
  if (user.length === 1 && prompt.length <= 2 && rollSystem !== studentSystem) {
    const rolled = rollSystem === undefined ? "no system prompt" : `the system prompt ${shown(rollSystem)}`;
    const wanted =
      studentSystem === undefined ? "no system prompt" : `the system prompt ${shown(studentSystem)}`;
    const option =
      rollSystem === undefined
        ? "pass --no-student-system (studentSystemPrompt: null in code)"
        : "pass that system prompt with --student-system-file FILE (studentSystemPrompt in code)";
    const where =
      rollSystem !== undefined && studentSystem !== undefined
        ? ` (${difference(rollSystem, studentSystem)})`
        : "";
    return `${at} was sampled with ${rolled} (its "prompt" field), but the student messages would have ${wanted}${where}: ${option}. ${fix}`;
  }
  return `${at} was sampled from the messages ${roles(prompt)} (its "prompt" field), not the student messages ${roles(student)} (system prompt + bare question). ${fix}`;
}

/** Throws on the first rollout of `problem` whose recorded prompt is not `student`. */
export function checkRolloutPrompts(
  problem: Problem,
  rollouts: readonly Rollout[],
  student: readonly ChatMessage[],
  where: string,
): void {
  for (const rollout of rollouts) {
    const mismatch = rolloutPromptMismatch(problem, rollout, student);
    if (mismatch !== null) throw new Error(`${where}: ${mismatch}`);
  }
}
