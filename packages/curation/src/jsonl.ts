/**
 * Line-by-line JSONL reading with errors that name the file and the 1-based line, so a bad record in a
 * 100 MB rollouts file can be found with `sed -n 'Np'`. Streams, so large files need not fit in one string.
 */
import { createReadStream, statSync } from "node:fs";
import { createInterface } from "node:readline";
import { stripBom } from "@ssb/durable-files";

export interface JsonlLine {
  value: unknown;
  /** 1-based line number in the file. */
  line: number;
  /** "path:line", for error messages. */
  where: string;
}

/** Parses one line; blank lines are the caller's concern. */
export function parseJsonLine(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
    throw new Error(`${where}: invalid JSON (${msg}); the line starts ${JSON.stringify(shown)}`);
  }
}

/** False also when the path cannot be examined: opening it then reports why. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

/** Yields every non-blank line of a JSONL file as parsed JSON. */
export async function* readJsonl(path: string): AsyncGenerator<JsonlLine> {
  // A directory opens without error and fails only at the first read, as a bare EISDIR naming nothing.
  if (isDirectory(path)) throw new Error(`${path} is a directory, not a JSONL file`);
  const stream = createReadStream(path, { encoding: "utf8" });
  // Surface "no such file" as an error naming the path rather than a bare ENOENT from deep in the stream.
  const opened = new Promise<void>((resolve, reject) => {
    stream.once("open", () => resolve());
    stream.once("error", (err) => reject(new Error(`cannot read ${path}: ${err.message}`)));
  });
  await opened;
  const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let line = 0;
  for await (const raw of lines) {
    line++;
    // A UTF-8 byte order mark (some editors write one) is not part of the first record.
    const text = line === 1 ? stripBom(raw) : raw;
    if (text.trim() === "") continue;
    const where = `${path}:${line}`;
    yield { value: parseJsonLine(text, where), line, where };
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
