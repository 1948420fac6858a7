/**
 * Splits a text stream into lines (`\n`, `\r\n` or a lone `\r`, as node:readline does) without ever holding
 * more than `maxLineChars` of one line. node:readline appends to one string until the line ends: a line past
 * V8's string limit (about 512 MiB: a 600 MB JSON array written on one line, a file without line breaks)
 * threw `RangeError: Invalid string length` from inside the stream, an uncaught stack trace. Here it is an
 * error naming the file and line, thrown where the caller can catch it. ssb-verify's input and
 * @ssb/curation's JSONL files are read with it.
 */
import { StringDecoder } from "node:string_decoder";

/** Far above any real record (a 32k-token reply with its token ids is well under 1 MiB), under V8's limit. */
export const MAX_LINE_CHARS = 256 * 1024 * 1024;

const BREAK = /\r\n|\n|\r/g;

export async function* splitLines(
  input: AsyncIterable<string | Buffer>,
  path: string,
  maxLineChars: number = MAX_LINE_CHARS,
): AsyncGenerator<string> {
  const decoder = new StringDecoder("utf8");
  let parts: string[] = [];
  let length = 0;
  let line = 1;
  // A `\r` that ended the last chunk: a `\n` starting the next one belongs to the same line break.
  let afterCR = false;
  for await (const data of input) {
    const chunk = typeof data === "string" ? data : decoder.write(data);
    let start = afterCR && chunk.startsWith("\n") ? 1 : 0;
    afterCR = false;
    BREAK.lastIndex = start;
    for (let m = BREAK.exec(chunk); m !== null; m = BREAK.exec(chunk)) {
      parts.push(chunk.slice(start, m.index));
      length += m.index - start;
      if (length > maxLineChars) throw tooLong(path, line, maxLineChars);
      yield parts.join("");
      parts = [];
      length = 0;
      line++;
      start = m.index + m[0].length;
      if (m[0] === "\r" && start === chunk.length) afterCR = true;
    }
    const rest = chunk.slice(start);
    length += rest.length;
    if (length > maxLineChars) throw tooLong(path, line, maxLineChars);
    if (rest.length > 0) parts.push(rest);
  }
  const tail = decoder.end();
  if (tail.length > 0) parts.push(tail);
  if (parts.length > 0) yield parts.join("");
}

function tooLong(path: string, line: number, max: number): Error {
  const size = max >= 1024 * 1024 ? `${max / (1024 * 1024)} MiB` : `${max} characters`;
  return new Error(
    `${path}:${line}: line is longer than ${size}; JSON Lines holds one record per line (is this one JSON array, or a file without line breaks? jq -c '.[]' FILE > FILE.jsonl writes an array one record per line)`,
  );
}
