/**
 * GPT-2's reversible byte → printable-character map, which HF's ByteLevel pre-tokenizer and decoder use: the
 * printable Latin-1 bytes stand for themselves, the rest are shifted to U+0100 and up. Tokens in a byte-level
 * vocabulary are strings of these characters.
 */
function buildByteToChar(): string[] {
  const direct: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) direct.push(b);
  for (let b = 0xa1; b <= 0xac; b++) direct.push(b);
  for (let b = 0xae; b <= 0xff; b++) direct.push(b);
  const table = new Array<string>(256);
  for (const b of direct) table[b] = String.fromCharCode(b);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    if (table[b] === undefined) table[b] = String.fromCharCode(256 + shifted++);
  }
  return table;
}

export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

const encoder = new TextEncoder();

/** A pre-token's UTF-8 bytes as byte-level characters, one per byte. */
export function toByteLevel(text: string): string[] {
  return Array.from(encoder.encode(text), (b) => BYTE_TO_CHAR[b] as string);
}

/**
 * The pre-tokenizer split, as Qwen2's tokenizer writes it minus its case-insensitive group (which JavaScript
 * regular expressions cannot express on Node 20): contractions, words with one leading non-letter, single
 * digits (numbers are spelled digit by digit, which is what arithmetic wants), punctuation runs, newlines.
 */
export const PRETOKENIZE_PATTERN =
  "'s|'t|'re|'ve|'m|'ll|'d|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const PRETOKENIZE = new RegExp(PRETOKENIZE_PATTERN, "gu");

export function preTokenize(text: string): string[] {
  return text.match(PRETOKENIZE) ?? [];
}
