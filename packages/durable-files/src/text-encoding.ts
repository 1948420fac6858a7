/**
 * Files that are UTF-16 rather than UTF-8. Windows PowerShell's `>` and `Out-File` write UTF-16 (with a
 * byte-order mark); read as UTF-8 such a file is a JSON error at line 1, column 1 ("Unexpected token '�'"),
 * which names no cause, and a journal of one UTF-16 record without a final newline scanned as a torn write:
 * every byte of it was to be cut off before the next append.
 */

/** Up to this many characters of a file's start are looked at. */
const HEAD = 8;

/**
 * Whether a file starting with `head` is UTF-16: its byte-order mark (FF FE or FE FF, which read as UTF-8 are
 * two U+FFFD, and read as latin1 are ÿþ or þÿ), or ASCII text with a NUL byte before or after every character
 * (UTF-16 without a mark). A file of NUL bytes alone (a tail zero-filled by a power loss) is not.
 */
export function looksLikeUtf16(head: string): boolean {
  const start = head.slice(0, HEAD);
  return /^(?:\uFFFD\uFFFD|\u00FF\u00FE|\u00FE\u00FF)/.test(start) || nulInterleaved(start);
}

/** `{\0"\0` or `\0{\0"`: two ASCII characters, each with a NUL byte after (or before) it. */
function nulInterleaved(s: string): boolean {
  const code = (i: number): number => s.charCodeAt(i);
  const ascii = (i: number): boolean => code(i) > 0 && code(i) < 0x80;
  if (s.length < 4) return false;
  return (
    (ascii(0) && code(1) === 0 && ascii(2) && code(3) === 0) ||
    (code(0) === 0 && ascii(1) && code(2) === 0 && ascii(3))
  );
}

/** The error for a UTF-16 file: what it is and how to make it UTF-8. */
export function utf16Error(file: string): Error {
  return new Error(
    `${file}: the file is UTF-16, not UTF-8 (Windows PowerShell's ">" and Out-File write UTF-16); convert it ` +
      `(iconv -f UTF-16 -t UTF-8, or in PowerShell Get-Content FILE | Set-Content -Encoding utf8 NEWFILE)`,
  );
}
