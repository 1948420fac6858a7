/**
 * Inputs that are not UTF-8 text. Windows PowerShell's `>` and `Out-File` write UTF-16; read as UTF-8, every
 * line of such a file is garbage with NUL characters, and ssb-verify printed five "not valid JSON" errors full
 * of blanks and "nothing was graded", which says nothing about the cause. One sentence naming the encoding
 * and the fix instead.
 */
import { looksLikeUtf16 } from "@ssb/durable-files";
import { binaryInputRefusal } from "./binary-input.js";

/**
 * Why the input cannot be read as UTF-8 JSON lines, judged by its first line (as decoded from UTF-8, a UTF-8
 * byte-order mark already removed), or null when it can. A NUL character is never valid in JSON text (a
 * string holds it as `\u0000`), so these refusals only replace errors the line would get anyway.
 */
export function encodingRefusal(firstLine: string, source: string): string | null {
  // Before the UTF-16 check: an Arrow stream's NUL bytes looked like UTF-16.
  const binary = binaryInputRefusal(firstLine, source);
  if (binary !== null) return binary;
  if (looksLikeUtf16(firstLine)) {
    // Standard input has no name to put in the commands.
    const file = source === "<stdin>" ? "FILE" : source;
    return (
      `${source}: the file is UTF-16, not UTF-8 (Windows PowerShell's ">" and Out-File write UTF-16); ` +
      `convert it first, e.g. iconv -f UTF-16 -t UTF-8 ${file} > converted.jsonl, or in PowerShell ` +
      `Get-Content ${file} | Set-Content -Encoding utf8 converted.jsonl`
    );
  }
  if (firstLine.includes("\0"))
    return `${source}: not a UTF-8 text file (its first line holds NUL bytes; a compressed file must be decompressed first)`;
  return null;
}

/**
 * Whether one line, read as UTF-8, is a line of a UTF-16 file: the first holds the mark, later ones start
 * with the NUL byte left of the previous line's newline (little-endian) or with a NUL before each character.
 * (A line of JSON never holds a raw NUL, so this only words an error the line gets anyway.)
 */
export function looksLikeUtf16Line(line: string): boolean {
  // A CRLF file's `\r\0\n\0` leaves a line of one NUL between the \r and the \n that a reader splits at.
  const nulOnly = line.length > 0 && [...line].every((ch) => ch === "\0");
  return looksLikeUtf16(line) || looksLikeUtf16(line.slice(1)) || nulOnly;
}

/** The hint for a file that is one JSON document rather than JSON Lines. */
export const NOT_JSON_LINES =
  'the file looks like one JSON document, not JSON Lines: write one object per line (pandas: to_json(path, orient="records", lines=True); Python: one json.dumps(row) per line)';

/**
 * A first line that is only `[` or `{` starts a pretty-printed JSON document (json.dump(rows, f, indent=2)):
 * every line of it would be its own "not valid JSON" error. Null for any other first line.
 */
export function prettyJsonRefusal(firstLine: string, source: string): string | null {
  const text = firstLine.trim();
  return text === "[" || text === "{" ? `${source}:1: ${NOT_JSON_LINES}` : null;
}

/** `"gold": NaN`, `"x": -Infinity`: the field a non-JSON number was written in, and the number. */
const NON_JSON_NUMBER = /"((?:[^"\\]|\\.)*)"\s*:\s*(-?(?:NaN|Infinity))\s*[,}\]]/;

/**
 * For a line JSON.parse refused: the field holding NaN or Infinity, which Python's json module writes for
 * float('nan') and float('inf') (and pandas for a missing number) though JSON has no such value; null when
 * the line has none.
 */
export function nonJsonNumber(line: string): { field: string; value: string } | null {
  const match = NON_JSON_NUMBER.exec(line);
  return match === null ? null : { field: match[1] as string, value: match[2] as string };
}
