/**
 * Where a JSON text stops being valid, as a line and column a user can jump to. V8's JSON.parse messages give
 * an offset for most errors ("... in JSON at position 7"), but not for an unexpected token (`Unexpected token
 * '}', "{"a":}" is not valid JSON`) nor for text that ends too early; for those a small scanner finds the first
 * offset that no JSON text could continue through.
 */

export interface JsonErrorLocation {
  /** 1-based line. */
  line: number;
  /** 1-based column, in characters (UTF-16 code units) from the start of the line. */
  column: number;
  /** V8's message without its own position or its copy of the text, e.g. "Unexpected token '}'". */
  message: string;
}

/** The offset V8 gives in its message, or null when it gives none. */
function v8Offset(message: string): number | null {
  const match = /\bat position (\d+)/.exec(message);
  return match ? Number(match[1]) : null;
}

/**
 * V8's message, shortened: its position (shown as line:column instead) and its copy of the text (which may
 * be long and span lines) are left out.
 */
function shortMessage(message: string): string {
  const token = /^(Unexpected token '[\s\S]{1,2}'), [\s\S]* is not valid JSON$/.exec(message);
  if (token) return token[1] as string;
  return message.replace(/ (?:in JSON )?at position \d+(?: \(line \d+ column \d+\))?/, "");
}

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);
const ESCAPES = new Set(['"', "\\", "/", "b", "f", "n", "r", "t"]);
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);

/**
 * The offset of the first character that makes `text` invalid JSON (text.length when it ends too early), or
 * null when it is valid. Iterative, so a deeply nested text cannot overflow the stack.
 */
export function jsonErrorOffset(text: string): number | null {
  let i = 0;
  const stack: ("[" | "{")[] = [];
  const skipWhitespace = (): void => {
    while (i < text.length && WHITESPACE.has(text[i] as string)) i++;
  };
  /** Scans a string starting at its opening quote; returns an error offset or null. */
  const scanString = (): number | null => {
    i++;
    while (i < text.length) {
      const c = text[i] as string;
      if (c === '"') {
        i++;
        return null;
      }
      if (c.charCodeAt(0) < 0x20) return i;
      if (c === "\\") {
        const e = text[i + 1];
        if (e === undefined) return text.length;
        if (e === "u") {
          for (let k = 2; k < 6; k++) if (!isHex(text[i + k])) return Math.min(i + k, text.length);
          i += 6;
          continue;
        }
        if (!ESCAPES.has(e)) return i + 1;
        i += 2;
        continue;
      }
      i++;
    }
    return text.length;
  };
  const scanDigits = (): number | null => {
    if (!isDigit(text[i])) return Math.min(i, text.length);
    while (isDigit(text[i])) i++;
    return null;
  };
  const scanNumber = (): number | null => {
    if (text[i] === "-") i++;
    if (text[i] === "0") i++;
    else {
      const bad = scanDigits();
      if (bad !== null) return bad;
    }
    if (text[i] === ".") {
      i++;
      const bad = scanDigits();
      if (bad !== null) return bad;
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      const bad = scanDigits();
      if (bad !== null) return bad;
    }
    return null;
  };
  const scanLiteral = (word: string): number | null => {
    for (let k = 0; k < word.length; k++) if (text[i + k] !== word[k]) return Math.min(i + k, text.length);
    i += word.length;
    return null;
  };

  // "value": a value must come next; "after": a value just ended; "key": a property name must come next.
  let expect: "value" | "after" | "key" = "value";
  for (;;) {
    skipWhitespace();
    if (expect === "key") {
      if (text[i] !== '"') return Math.min(i, text.length);
      const bad = scanString();
      if (bad !== null) return bad;
      skipWhitespace();
      if (text[i] !== ":") return Math.min(i, text.length);
      i++;
      expect = "value";
      continue;
    }
    if (expect === "after") {
      const top = stack[stack.length - 1];
      if (top === undefined) return i < text.length ? i : null;
      const c = text[i];
      if (c === ",") {
        i++;
        expect = top === "{" ? "key" : "value";
      } else if ((c === "]" && top === "[") || (c === "}" && top === "{")) {
        i++;
        stack.pop();
      } else return Math.min(i, text.length);
      continue;
    }
    const c = text[i];
    let bad: number | null = null;
    if (c === "{" || c === "[") {
      stack.push(c);
      i++;
      skipWhitespace();
      if (text[i] === (c === "{" ? "}" : "]")) {
        i++;
        stack.pop();
        expect = "after";
      } else expect = c === "{" ? "key" : "value";
      continue;
    }
    if (c === '"') bad = scanString();
    else if (c === "t") bad = scanLiteral("true");
    else if (c === "f") bad = scanLiteral("false");
    else if (c === "n") bad = scanLiteral("null");
    else if (c === "-" || isDigit(c)) bad = scanNumber();
    else bad = Math.min(i, text.length);
    if (bad !== null) return bad;
    expect = "after";
  }
}

/** 1-based line and column of an offset in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, text.length);
  for (let k = 0; k < end; k++) {
    if (text.charCodeAt(k) === 0x0a) {
      line++;
      lineStart = k + 1;
    }
  }
  return { line, column: end - lineStart + 1 };
}

/** Where JSON.parse's `error` on `text` happened, or null when neither V8 nor the scanner can place it. */
export function locateJsonError(text: string, error: unknown): JsonErrorLocation | null {
  const message = error instanceof Error ? error.message : String(error);
  const offset = v8Offset(message) ?? jsonErrorOffset(text);
  if (offset === null) return null;
  return { ...lineColumn(text, offset), message: shortMessage(message) };
}
