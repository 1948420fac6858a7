import { describe, expect, it } from "vitest";
import type { GenerateProgress } from "./generator.js";
import { createRolloutProgress, rolloutProgressExtra } from "./progress.js";

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, write: (s: string) => writes.push(s) } };
}

const at = (finished: number): GenerateProgress => ({
  finishedSequences: finished,
  totalSequences: 10,
  generatedTokens: 100 * finished,
  activeRows: 4,
  elapsedMs: 1000 * (finished + 1),
});

describe("createRolloutProgress", () => {
  it("redraws one line on a terminal, counting the sequences an earlier run wrote", () => {
    const t = stream(true);
    const bar = createRolloutProgress(t.stream, { redrawMs: 0 });
    bar.update(at(2), 30);
    bar.finish();
    expect(t.writes[0]).toMatch(
      /^\rssb-rollout \[█+░+\] 32\/40 seqs 80% {2}[\d.]+ seqs\/s {2}67 tok\/s {2}4 active/,
    );
    expect(t.writes.at(-1)).toBe("\n");
  });

  it("prints a plain line now and then when the stream is not a terminal (a log file), and the last one", async () => {
    const log = stream(false);
    const bar = createRolloutProgress(log.stream, { logEveryMs: 20 });
    bar.update(at(1));
    expect(log.writes).toEqual([]); // not before the first interval
    await new Promise((r) => setTimeout(r, 30));
    bar.update(at(5));
    expect(log.writes).toHaveLength(1);
    expect(log.writes[0]).toMatch(/^ssb-rollout \[█+░+\] 5\/10 seqs 50% .*ETA \d+s\n$/);
    bar.update(at(10));
    bar.finish();
    expect(log.writes).toHaveLength(2);
    expect(log.writes[1]).toMatch(/ 10\/10 seqs 100% .*ETA 0s\n$/);
  });

  it("shows tokens per second and the active rows after the sequence rate", () => {
    expect(
      rolloutProgressExtra({
        finishedSequences: 10,
        totalSequences: 40,
        generatedTokens: 5000,
        activeRows: 8,
        elapsedMs: 10_000,
      }),
    ).toEqual(["500 tok/s", "8 active"]);
  });
});
