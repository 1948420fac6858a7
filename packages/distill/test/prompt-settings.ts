/**
 * Shared by the tests of a run's prompt settings (template day, chat template kwargs): a one-pair file whose
 * student messages are rendered, and a fake clock at local noon of a given day.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { vi } from "vitest";

/** `dir/pairs.jsonl` with one KD pair: a system turn and a question, reply ids [20, 21], no logits. */
export function writeOnePairFile(dir: string): string {
  const pairs = path.join(dir, "pairs.jsonl");
  const messages = [
    { role: "system", content: "Solve it." },
    { role: "user", content: "What is 2+3?" },
  ];
  writeFileSync(
    pairs,
    `${JSON.stringify({ problemId: "p0", studentMessages: messages, responseTokenIds: [20, 21], logitKey: null })}\n`,
  );
  return pairs;
}

/** Set the machine's clock to local noon of a day (month 1-based); undo with vi.useRealTimers(). */
export function clockAt(year: number, month: number, day: number): void {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date(year, month - 1, day, 12));
}
