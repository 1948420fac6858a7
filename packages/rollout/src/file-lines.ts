/** Reading a text file line by line in chunks, so a file of any size never becomes one string. */
import { closeSync, openSync, readSync } from "node:fs";
import { StringDecoder } from "node:string_decoder";

/**
 * Lines of a text file, read in 1 MiB chunks; a UTF-8 byte order mark at its start is dropped, and a last
 * line without a newline is a line. Errors (a missing file) are thrown as they come, for the caller to name.
 */
export function* fileLines(file: string): Generator<string> {
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
