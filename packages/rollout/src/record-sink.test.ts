import { describe, expect, it } from "vitest";
import { drainInto, type RecordSink } from "./record-sink.js";
import type { JournalRecord } from "./rollout-journal.js";

/** A sink holding what it is given, whose flush fails (say, the disk filled up). */
function failingSink(): RecordSink<JournalRecord> & { held: JournalRecord[] } {
  const held: JournalRecord[] = [];
  return {
    file: "out.jsonl",
    held,
    add: async (r) => {
      held.push(r);
    },
    flush: () => Promise.reject(new Error("ENOSPC: no space left on device, write")),
  };
}

/** Yields two items, then fails as the generator does when its signal is aborted. */
async function* stoppedAfterTwo(stop: AbortController): AsyncGenerator<number> {
  yield 0;
  yield 1;
  stop.abort();
  throw new Error("aborted");
}

describe("drainInto", () => {
  it("does not report a stopped job as saved when its held records could not be written", async () => {
    const stop = new AbortController();
    const sink = failingSink();
    const each = (i: number) => sink.add({ problemId: "p", sampleIndex: i });
    // Before: the flush error was swallowed and the job returned "interrupted", its summary counting the
    // two records as written though neither reached the output.
    await expect(drainInto(stoppedAfterTwo(stop), each, sink, stop.signal)).rejects.toThrow(
      "out.jsonl: the job stopped by its signal, and the records that had finished could not be written (ENOSPC: no space left on device, write); a rerun generates them again",
    );
  });

  it("names both failures when the stream fails and the flush after it does too", async () => {
    const sink = failingSink();
    async function* broken(): AsyncGenerator<number> {
      yield 0;
      throw new Error("onnxruntime: out of memory");
    }
    const each = (i: number) => sink.add({ problemId: "p", sampleIndex: i });
    await expect(drainInto(broken(), each, sink)).rejects.toThrow(
      /the job failed: onnxruntime: out of memory, and the records that had finished could not be written \(ENOSPC/,
    );
  });
});
