/**
 * JSON files this project writes and reads back (checkpoint states, pinned configs): a truncated or edited one
 * must fail naming the file and the place, not with JSON.parse's bare "Unexpected end of JSON input".
 */

/**
 * `text` without a leading byte-order mark (U+FEFF). Editors on Windows (Notepad, PowerShell's Out-File) start
 * UTF-8 files with one; JSON.parse would refuse it as an invisible "Unexpected token".
 */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** Whether JSON.parse stops on a character inside `prefix` (rather than at its end, or not at all). */
function failsWithin(prefix: string): boolean {
  try {
    JSON.parse(prefix);
    return false;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // A prefix cut inside a value may be refused at its own end ("Expected property name ... at position
    // <its length>"): that is running out of text, as "end of JSON input" is, not the bad character.
    const at = /at position (\d+)/.exec(reason);
    if (at) return Number(at[1]) < prefix.length;
    return !/end of JSON input/.test(reason);
  }
}

/**
 * The offset of the character JSON.parse refuses, for V8 messages that carry no position ("Unexpected token
 * '.', ..."...": .inf}" is not valid JSON"). A prefix that holds the bad character fails on it; a shorter one
 * only ends early, so the shortest failing prefix ends just past it. Binary search: about log2(n) parses, only
 * on a file that is already an error; files past a few MiB are left unplaced.
 */
function offendingOffset(text: string): number | null {
  if (text.length > 4 * 1024 * 1024 || !failsWithin(text)) return null;
  let low = 1;
  let high = text.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if (failsWithin(text.slice(0, mid))) high = mid;
    else low = mid + 1;
  }
  return low - 1;
}

/** `file:line:column` of a JSON.parse error in `text`, or `file` when no place can be found. */
function jsonErrorPlace(text: string, file: string, reason: string): string {
  const at = /at position (\d+)/.exec(reason);
  // "Unexpected end of JSON input" carries no position: the text ended too early, so the place is its end.
  const offset = at ? Number(at[1]) : /end of JSON input/.test(reason) ? text.length : offendingOffset(text);
  if (offset === null) return file;
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return `${file}:${line}:${column}`;
}

/** Parse `raw` read from `file` (a leading BOM is skipped); a syntax error names `file:line:column`. */
export function parseJsonFile(raw: string, file: string): unknown {
  const text = stripBom(raw);
  try {
    return JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const empty = text.trim() === "" ? "the file is empty" : reason;
    throw new Error(`${jsonErrorPlace(text, file, reason)}: not valid JSON (${empty})`);
  }
}

/** As parseJsonFile, for files that must hold one JSON object (anything else is named as an error too). */
export function parseJsonObjectFile(text: string, file: string): Record<string, unknown> {
  const value = parseJsonFile(text, file);
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const found = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw new Error(`${file}: expected a JSON object, found ${found}`);
  }
  return value as Record<string, unknown>;
}
