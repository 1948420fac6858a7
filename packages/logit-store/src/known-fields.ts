import { LogitStoreError } from "./errors.js";

/**
 * Refuses fields of a caller's object that the writer does not know. From JavaScript, or with an object built
 * from a parsed config, a misspelt optional field was silently ignored: `formatVersoin: 1` wrote format 2, and
 * `shardByte: 1 << 20` kept 256 MiB shards (an example is durable only once its shard completes).
 */
export function refuseUnknownFields(input: unknown, known: readonly string[], where: string): void {
  if (typeof input !== "object" || input === null) return; // the callers' own checks name a non-object
  const unknown = Object.keys(input).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  const named = unknown.map((key) => JSON.stringify(key)).join(", ");
  throw new LogitStoreError(
    `${where}: unknown field${unknown.length > 1 ? "s" : ""} ${named} (known: ${known.join(", ")}); nothing was created or changed`,
  );
}
