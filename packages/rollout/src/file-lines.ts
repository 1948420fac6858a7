/** Reading a text file line by line in chunks, so a file of any size never becomes one string. */
import { closeSync, openSync, readSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { parseJsonlLine } from "@ssb/durable-files";
import { RolloutError } from "./errors.js";

/**
 * Lines of a text file, read in 1 MiB chunks; a UTF-8 byte order mark at its start is dropped, and a last
 * line without a newline is a line. Errors (a missing file) are thrown as they come, for the caller to name.
 */
function* fileLines(file: string): Generator<string> {
  const fd = openSync(file, "r");
  try {
    const chunk = Buffer.alloc(1 << 20);
    const decoder = new StringDecoder("utf8");
    let rest = "";
    let first = true;
    while (true) {
      const read = readSync(fd, chunk, 0, chunk.length, null);
      let text = rest + (read > 0 ? decoder.write(chunk.subarray(0, read)) : decoder.end());
      if (first && text.length > 0) {
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // a UTF-8 byte order mark
        first = false;
      }
      const lines = text.split("\n");
      rest = read > 0 ? (lines.pop() as string) : "";
      for (const line of lines) yield line;
      if (read === 0) return;
    }
  } finally {
    closeSync(fd);
  }
}

/** One parsed line of a JSONL file: its value, its 1-based line number and "file:line" for errors. */
export interface JsonLine {
  value: unknown;
  line: number;
  where: string;
}

/**
 * The records of a JSONL file (blank lines skipped), read line by line. A line that is not JSON, or a file
 * that cannot be read, is a RolloutError naming the file (and line); `what` names the contents in the latter.
 * Lines are parsed as @ssb/durable-files' parseJsonlLine parses them: a byte-order mark on any line (files
 * joined with `cat`) skipped; a UTF-16 file, a JSON array or pretty-printed file, and Python's NaN named as
 * such; `exactFields` (ids) refused when they hold an integer past 2^53, which JSON.parse would round.
 */
export function* jsonLines(
  file: string,
  what: string,
  exactFields: readonly string[] = [],
): Generator<JsonLine> {
  let line = 0;
  const lines = fileLines(file); // opens the file on the first next()
  while (true) {
    let next: IteratorResult<string>;
    try {
      next = lines.next();
    } catch (e) {
      throw new RolloutError(`${file}: cannot read ${what} (${e instanceof Error ? e.message : String(e)})`);
    }
    if (next.done) return;
    line++;
    if (next.value.trim() === "") continue;
    let value: unknown;
    try {
      // Any JSON value: the record parsers say what they expected.
      value = parseJsonlLine(next.value, file, line, { object: false, exactFields });
    } catch (e) {
      throw new RolloutError(e instanceof Error ? e.message : String(e));
    }
    yield { value, line, where: `${file}:${line}` };
  }
}
