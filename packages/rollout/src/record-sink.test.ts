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

/** Yields two items, then stops as the generator does when its signal is aborted. */
async function* stoppedAfterTwo(stop: AbortController): AsyncGenerator<number> {
  yield 0;
  yield 1;
  stop.abort();
  stop.signal.throwIfAborted(); // as Generator.generate stops
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

  it("ends a stopped job as interrupted after saving, but keeps another failure that came as it stopped", async () => {
    const saved: JournalRecord[] = [];
    const sink: RecordSink<JournalRecord> = {
      file: "out.jsonl",
      add: async (r) => {
        saved.push(r);
      },
      flush: async () => {},
    };
    const stop = new AbortController();
    const add = (i: number) => sink.add({ problemId: "p", sampleIndex: i });
    expect(await drainInto(stoppedAfterTwo(stop), add, sink, stop.signal)).toBe(true);
    expect(saved).toHaveLength(2);
    // Ctrl-C pressed while the job refused a store (or a write failed): before, reported as a clean stop.
    const late = new AbortController();
    const refuse = async (i: number) => {
      if (i === 1) {
        late.abort();
        throw new Error("logits: example holds other tokens");
      }
    };
    await expect(
      drainInto(stoppedAfterTwo(new AbortController()), refuse, sink, late.signal),
    ).rejects.toThrow("logits: example holds other tokens");
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
