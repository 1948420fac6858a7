/**
 * Line-by-line JSONL reading with errors that name the file and the 1-based line, so a bad record in a
 * 100 MB rollouts file can be found with `sed -n 'Np'`. Streams, so large files need not fit in one string.
 */
import { createReadStream, statSync } from "node:fs";
import { MAX_LINE_CHARS, parseJsonlLine, splitLines } from "@ssb/durable-files";
import { binaryInputRefusal } from "@ssb/verifier";

export interface JsonlLine {
  value: unknown;
  /** 1-based line number in the file. */
  line: number;
  /** "path:line", for error messages. */
  where: string;
}

/**
 * Parses line `line` of `path` (blank lines are the caller's concern) as @ssb/durable-files reads input lines:
 * a byte-order mark on any line skipped, a UTF-16 file, a JSON array or pretty-printed file and Python's NaN
 * named as such. `exactFields` are refused when they hold an integer past 2^53 (JSON.parse would round it).
 * Any JSON value is returned: the record parsers say what they expected.
 */
export function parseJsonLine(
  text: string,
  path: string,
  line: number,
  exactFields: readonly string[] = [],
): unknown {
  return parseJsonlLine(text, path, line, { object: false, exactFields });
}

/** False also when the path cannot be examined: opening it then reports why. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

/**
 * Yields every non-blank line of a JSONL file as parsed JSON. `exactFields` (ids, golds) must not hold an
 * integer past 2^53: JSON.parse would change its digits without a word. A line longer than `maxLineChars` is
 * refused naming its number (@ssb/durable-files' splitLines).
 */
export async function* readJsonl(
  path: string,
  exactFields: readonly string[] = [],
  maxLineChars: number = MAX_LINE_CHARS,
): AsyncGenerator<JsonlLine> {
  // A directory opens without error and fails only at the first read, as a bare EISDIR naming nothing.
  if (isDirectory(path)) throw new Error(`${path} is a directory, not a JSONL file`);
  const stream = createReadStream(path, { encoding: "utf8" });
  // Surface "no such file" as an error naming the path rather than a bare ENOENT from deep in the stream.
  const opened = new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (err) => reject(new Error(`cannot read ${path}: ${err.message}`)));
  });
  await opened;
  let line = 0;
  try {
    for await (const raw of splitLines(stream, path, maxLineChars)) {
      line++;
      if (line === 1) {
        // A Parquet or Arrow dataset, or a compressed file: named with the command that converts it (an Arrow
        // stream was called UTF-16, Parquet "not valid JSON").
        const binary = binaryInputRefusal(raw.replace(/^\uFEFF/, ""), path);
        if (binary !== null) throw new Error(binary);
      }
      if (raw.trim() === "" || raw === "\uFEFF") continue;
      yield { value: parseJsonLine(raw, path, line, exactFields), line, where: `${path}:${line}` };
    }
  } finally {
    // A caller that stops early (a bad record) or a line too long: the file is not read on.
    stream.destroy();
  }
}

/** Reads a whole JSONL file through a record parser (which throws with `where` on bad fields). */
export async function readJsonlRecords<T>(
  path: string,
  parse: (value: unknown, where: string) => T,
): Promise<T[]> {
  const out: T[] = [];
  for await (const { value, where } of readJsonl(path)) out.push(parse(value, where));
  return out;
}
