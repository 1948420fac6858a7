import { describe, expect, it } from "vitest";
import type { GenerateProgress } from "./generator.js";
import { createProgressBar } from "./progress.js";

function stream(isTTY: boolean) {
  const writes: string[] = [];
  return {
    writes,
    stream: { isTTY, write: (s: string) => writes.push(s) > 0 } as unknown as NodeJS.WriteStream,
  };
}

const at = (finished: number): GenerateProgress => ({
  finishedSequences: finished,
  totalSequences: 10,
  generatedTokens: 100 * finished,
  activeRows: 4,
  elapsedMs: 1000 * (finished + 1),
});

describe("createProgressBar", () => {
  it("redraws one line on a terminal, counting the work done before this run", () => {
    const t = stream(true);
    const bar = createProgressBar(t.stream, 0, 0);
    bar.update(at(2), 30);
    bar.done();
    expect(t.writes[0]).toMatch(/^\r\[#+\.+\] 32\/40 seqs {2}67 tok\/s/);
    expect(t.writes.at(-1)).toBe("\n");
  });

  it("prints a plain line now and then when the stream is not a terminal (a log file)", async () => {
    const log = stream(false);
    const bar = createProgressBar(log.stream, 0, 200, 20);
    bar.update(at(1));
    expect(log.writes).toEqual([]); // not before the first interval
    await new Promise((r) => setTimeout(r, 30));
    bar.update(at(5));
    bar.done();
    expect(log.writes).toHaveLength(1);
    expect(log.writes[0]).toMatch(/^\[#+\.+\] 5\/10 seqs .*ETA \d+s\n$/);
    const quiet = stream(false);
    const off = createProgressBar(quiet.stream, 0, 200, 0);
    off.update(at(5));
    expect(quiet.writes).toEqual([]);
  });
});
