/**
 * The examples a README marks runnable: fenced code blocks whose info string is the language followed by
 * the word `runnable` (```` ```ts runnable ````). GitHub shows the first word as the language and ignores
 * the rest, so the mark costs readers nothing; unmarked blocks stay free to show fragments.
 */
import { readFileSync } from "node:fs";

export type ExampleLanguage = "ts" | "js";

export interface ReadmeExample {
  /** The README the block came from. */
  file: string;
  /** 1-based line of the opening fence, so a failure names the block. */
  line: number;
  language: ExampleLanguage;
  code: string;
  /**
   * What the example prints, where the README shows it: a block marked ```` ```text output ```` that
   * follows the example with at most one line of prose between them (e.g. "Prints:"). null if none.
   */
  expectedOutput: string | null;
}

const OPENING = /^(```+|~~~+)\s*(ts|typescript|js|javascript)\s+runnable\s*$/;
const OUTPUT_OPENING = /^(```+|~~~+)\s*text\s+output\s*$/;

/** Every block marked runnable, in file order. A fence left open is an error naming its line. */
export function parseReadmeExamples(markdown: string, file: string): ReadmeExample[] {
  const lines = markdown.split(/\r?\n/);
  const examples: ReadmeExample[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPENING.exec(lines[i] as string);
    if (!open) continue;
    const fence = open[1] as string;
    const body: string[] = [];
    let j = i + 1;
    // A closing fence is at least as long as the opening one and made of the same character.
    while (j < lines.length && !isClosingFence(lines[j] as string, fence)) body.push(lines[j++] as string);
    if (j === lines.length) throw new Error(`${file}:${i + 1}: runnable example has no closing ${fence}`);
    const language: ExampleLanguage = open[2] === "js" || open[2] === "javascript" ? "js" : "ts";
    const output = readOutputBlock(lines, j + 1, file);
    examples.push({ file, line: i + 1, language, code: `${body.join("\n")}\n`, expectedOutput: output.text });
    i = output.end;
  }
  return examples;
}

/** The output block after an example ending at `from - 1`, if one follows; `end` is the last line read. */
function readOutputBlock(lines: string[], from: number, file: string): { text: string | null; end: number } {
  let k = from;
  let prose = 0;
  while (k < lines.length && !OUTPUT_OPENING.test(lines[k] as string)) {
    const line = (lines[k] as string).trim();
    if (line.startsWith("```") || line.startsWith("~~~") || line.startsWith("#")) break;
    if (line !== "" && ++prose > 1) break;
    k++;
  }
  const open = k < lines.length ? OUTPUT_OPENING.exec(lines[k] as string) : null;
  if (!open) return { text: null, end: from - 1 };
  const body: string[] = [];
  let j = k + 1;
  while (j < lines.length && !isClosingFence(lines[j] as string, open[1] as string))
    body.push(lines[j++] as string);
  if (j === lines.length) throw new Error(`${file}:${k + 1}: output block has no closing ${open[1]}`);
  return { text: `${body.join("\n")}\n`, end: j };
}

function isClosingFence(line: string, fence: string): boolean {
  const trimmed = line.trim();
  const char = fence[0] as string;
  return trimmed.length >= fence.length && [...trimmed].every((c) => c === char);
}

/** The runnable examples of a README file. */
export function readmeExamples(file: string): ReadmeExample[] {
  return parseReadmeExamples(readFileSync(file, "utf8"), file);
}
