/** Where a job's finished records go, and draining a stream of them so that nothing finished is lost. */
import type { LogitStoreWriter } from "@ssb/logit-store";
import { RolloutError } from "./errors.js";
import type { JournalRecord, RolloutJournal } from "./rollout-journal.js";
import type { RolloutJobSummary } from "./run-rollouts.js";

export interface RecordSink<R extends JournalRecord> {
  /** The output the records go to (for errors). */
  readonly file: string;
  add(record: R): Promise<void>;
  /** Write every held record (after completing the store's shard that holds their logits). */
  flush(): Promise<void>;
}

/**
 * Without a logit store, records go to the JSONL at once. With one, they are held until the store's shard
 * holding their logits is complete (every `flushEvery` records, an awaited flush): no record ever points at
 * logits that are not on disk, and a crash loses a record and its logits together or neither.
 */
export function recordSink<R extends JournalRecord>(
  journal: RolloutJournal,
  writer: LogitStoreWriter | null,
  flushEvery: number,
): RecordSink<R> {
  const held: R[] = [];
  const flush = async (): Promise<void> => {
    if (held.length === 0) return;
    await writer?.flush();
    journal.append(held.splice(0));
  };
  return {
    file: journal.file,
    async add(record) {
      if (!writer) {
        journal.append([record]);
        return;
      }
      held.push(record);
      if (held.length >= flushEvery) await flush();
    },
    flush,
  };
}

/**
 * Hand every item of `items` to `each` (which adds records to `sink`), then flush. When the stream fails, what
 * finished is saved first; a failure caused by `signal` (Ctrl-C) ends the job as interrupted: returns true.
 */
export async function drainInto<T, R extends JournalRecord>(
  items: AsyncIterable<T>,
  each: (item: T) => Promise<void>,
  sink: RecordSink<R>,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    for await (const item of items) await each(item);
  } catch (e) {
    try {
      await sink.flush();
    } catch (flushError) {
      // The held records are not on disk: neither "interrupted, what finished is saved" nor the stream's
      // own error alone would say so.
      const why = flushError instanceof Error ? flushError.message : String(flushError);
      const stopped =
        signal?.aborted && e === signal.reason
          ? "stopped by its signal"
          : `failed: ${e instanceof Error ? e.message : String(e)}`;
      throw new RolloutError(
        `${sink.file}: the job ${stopped}, and the records that had finished could not be written (${why}); a rerun generates them again`,
        { cause: e },
      );
    }
    // Only the signal's own error is a stop; another failure that came as the signal fired (a refused store,
    // a failed write) is still that failure.
    if (signal?.aborted && e === signal.reason) return true;
    throw e;
  }
  await sink.flush();
  return false;
}

/** A job's counts as it runs (`skipped` and `total` set as it plans), and its summary. */
export interface JobTally {
  written: number;
  generatedTokens: number;
  skipped: number;
  total: number;
  /** Count one record written with `tokens` generated tokens. */
  add(tokens: number): void;
  summary(interrupted: boolean): RolloutJobSummary;
}

export function jobTally(): JobTally {
  const started = performance.now();
  return {
    written: 0,
    generatedTokens: 0,
    skipped: 0,
    total: 0,
    add(tokens) {
      this.written++;
      this.generatedTokens += tokens;
    },
    summary(interrupted) {
      const { written, skipped, total, generatedTokens } = this;
      const seconds = (performance.now() - started) / 1000;
      const tokensPerSecond = seconds > 0 ? generatedTokens / seconds : 0;
      return { written, skipped, total, generatedTokens, seconds, tokensPerSecond, interrupted };
    },
  };
}
