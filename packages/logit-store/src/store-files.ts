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

/**
 * Whether `name` is a file a store puts in its folder: shards (and the one being written), the manifest, the
 * journal, the writer's lock, and the temp files of their atomic writes.
 */
export function isStoreFile(name: string): boolean {
  return /^(shard-\d{6,}\.arrow(\.partial)?|manifest\.json(\.tmp-\d+)?|in-progress\.jsonl(\.tmp-\d+)?|writer\.lock(\.\d+\.tmp)?)$/.test(
    name,
  );
}
