/**
 * Malformed lines reported the way a person reads them: a file whose 96 lines all lack the gold field prints
 * the first few of those errors and one line counting the rest, not 96 near-identical lines.
 */

/** How many lines with one problem are printed in full before the rest are only counted. */
export const ERRORS_SHOWN_PER_PROBLEM = 5;

export interface ErrorDigest {
  /** `error` is the whole message (`in.jsonl:7: ...`); `problem` the part lines with the same error share. */
  report(error: string, problem: string): void;
  /** Writes one `... and N more lines with the same error (...)` line per problem that had more than were shown. */
  finish(): void;
}

export function createErrorDigest(
  write: (line: string) => void,
  source: string,
  shown: number = ERRORS_SHOWN_PER_PROBLEM,
): ErrorDigest {
  const counts = new Map<string, number>();
  return {
    report(error, problem) {
      const count = (counts.get(problem) ?? 0) + 1;
      counts.set(problem, count);
      if (count <= shown) write(error);
    },
    finish() {
      for (const [problem, count] of counts) {
        const more = count - shown;
        if (more <= 0) continue;
        const lines = more === 1 ? "1 more line" : `${more} more lines`;
        write(`${source}: ... and ${lines} with the same error (${problem})`);
      }
    },
  };
}
