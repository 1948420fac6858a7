/**
 * Checks that a pairs file and a logit store agree: every pair points at logit rows, one row per reply token,
 * whose target token ids are the pair's `responseTokenIds` in order (end-of-turn included). The store is reached
 * through a lookup function so this stays independent of @ssb/logit-store's reader API.
 */
import type { PairRecord } from "./pair-record.js";

/** The target token id of each stored row of one example, by position (0-based, in order). */
export type LogitRowLookup = (
  logitKey: string,
) => readonly number[] | null | Promise<readonly number[] | null>;

export interface LogitCoverageReport {
  checked: number;
  /** One line per disagreement, naming the problem and what differs. */
  mismatches: string[];
}

export async function checkLogitCoverage(
  pairs: readonly Pick<PairRecord, "problemId" | "logitKey" | "responseTokenIds">[],
  lookup: LogitRowLookup,
): Promise<LogitCoverageReport> {
  const mismatches: string[] = [];
  for (const pair of pairs) {
    if (pair.logitKey === null) {
      mismatches.push(`${pair.problemId}: pair has no logitKey`);
      continue;
    }
    const rows = await lookup(pair.logitKey);
    if (rows === null) {
      mismatches.push(`${pair.problemId}: no logit rows under key ${JSON.stringify(pair.logitKey)}`);
      continue;
    }
    if (rows.length !== pair.responseTokenIds.length) {
      mismatches.push(
        `${pair.problemId}: ${pair.responseTokenIds.length} reply tokens but ${rows.length} logit rows under ${JSON.stringify(pair.logitKey)}`,
      );
      continue;
    }
    const at = pair.responseTokenIds.findIndex((t, i) => rows[i] !== t);
    if (at >= 0) {
      mismatches.push(
        `${pair.problemId}: position ${at}: reply token ${pair.responseTokenIds[at]}, logit row token ${rows[at]}`,
      );
    }
  }
  return { checked: pairs.length, mismatches };
}
