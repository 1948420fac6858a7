/** Names of the files inside a store directory, in one place so writer, recovery and reader agree. */
export const JOURNAL_FILE = "in-progress.jsonl";
export const LOCK_FILE = "writer.lock";
export const PARTIAL_SUFFIX = ".partial";

const SHARD_RE = /^shard-(\d{6,})\.arrow$/;

export function shardFileName(index: number): string {
  return `shard-${String(index).padStart(6, "0")}.arrow`;
}

/** The shard number in a shard file name, or undefined for any other name. */
export function shardIndexOf(file: string): number | undefined {
  const m = SHARD_RE.exec(file);
  return m ? Number(m[1]) : undefined;
}
