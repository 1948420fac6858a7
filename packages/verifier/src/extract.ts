import { answerScope, blockAnswer } from "./answer-tags.js";
import { matchBrace } from "./latex-scan.js";
import { answerText, checkOptions } from "./options-check.js";
import { outsideThinking } from "./think-blocks.js";
import {
  DEFAULT_EXTRACTION_RULES,
  type Extraction,
  type ExtractionRule,
  type ExtractOptions,
} from "./types.js";

const DEFAULT_MAX_RESPONSE_CHARS = 200_000;

/** One box found in a response: its content, and the whole command's offsets in the text (end exclusive). */
export interface Box {
  content: string;
  start: number;
  end: number;
}

const BOX_COMMAND = /\\(?:boxed|fbox)(?![a-zA-Z])/g;

/** Every well-formed `\boxed{...}`, `\fbox{...}`, `\boxed 5` or `\boxed5` in order; unclosed ones are skipped. */
export function findBoxes(text: string): Box[] {
  const boxes: Box[] = [];
  BOX_COMMAND.lastIndex = 0;
  for (let match = BOX_COMMAND.exec(text); match !== null; match = BOX_COMMAND.exec(text)) {
    let i = match.index + match[0].length;
    while (text[i] === " ") i++;
    if (text[i] === "{") {
      const close = matchBrace(text, i);
      if (close < 0) continue; // unbalanced: not an answer we can trust
      boxes.push({ content: text.slice(i + 1, close - 1).trim(), start: match.index, end: close });
      BOX_COMMAND.lastIndex = close;
    } else if (i > match.index + match[0].length || /\d/.test(text[i] ?? "")) {
      // `\boxed 5`, and `\boxed7` (valid LaTeX, a digit right after the name): the argument is the next token
      const tokenEnd = text.slice(i).search(/[\s$]|\\\)|\\\]/);
      const end = tokenEnd < 0 ? text.length : i + tokenEnd;
      const content = text.slice(i, end).replace(/[.,;]+$/, "");
      if (content.length > 0) boxes.push({ content, start: match.index, end });
    }
  }
  return boxes;
}

/** Words that may sit between boxes of one final group: `\boxed{3} or \boxed{5}`, `\boxed{1} and \boxed{-2}`. */
const CONNECTIVES = new Set([
  "and",
  "or",
  "maybe",
  "perhaps",
  "possibly",
  "either",
  "alternatively",
  "also",
  "it",
  "could",
  "be",
  "the",
  "answer",
  "answers",
  "is",
  "are",
  "quad",
  "qquad",
  "text",
]);

function isConnectiveGap(gap: string): boolean {
  if (gap.length > 80 || gap.includes("\n\n")) return false;
  const words = gap
    .replace(/(?:^|[\s$])[a-zA-Z](?:_\{?\w+\}?)?\s*=/g, " ") // `$x = \boxed{1}$ and $x = \boxed{-2}$`
    .replace(/[$\\{}(),;:.!?&]/g, " ")
    .split(/\s+/)
    .filter((w) => w.length > 0);
  return words.every((w) => CONNECTIVES.has(w.toLowerCase()));
}

/** More boxes than this in one final group are not an answer anyone should be graded on; stop looking. */
const MAX_GROUP = 32;

/** The last box and the boxes just before it that are joined to it only by connectives. */
function finalBoxGroup(text: string, boxes: Box[]): Box[] {
  const group: Box[] = [boxes[boxes.length - 1] as Box];
  for (let j = boxes.length - 2; j >= 0 && group.length < MAX_GROUP; j--) {
    const prev = boxes[j] as Box;
    const next = group[0] as Box;
    if (!isConnectiveGap(text.slice(prev.end, next.start))) break;
    group.unshift(prev);
  }
  return group;
}

function fromBoxes(text: string): Extraction | null {
  const boxes = findBoxes(text);
  if (boxes.length === 0) return null;
  const group = finalBoxGroup(text, boxes);
  const candidates = group.map((b) => b.content);
  return { answer: candidates[candidates.length - 1] as string, rule: "boxed", candidates };
}

function fromGsm8k(text: string): Extraction | null {
  const at = text.lastIndexOf("####");
  if (at < 0) return null;
  const answer = lineFrom(text, at + 4)
    .trim()
    .replace(/\.$/, "");
  return answer.length > 0 ? { answer, rule: "gsm8k", candidates: [answer] } : null;
}

/** Text of the first math span in `s` (`$...$`, `\(...\)`, `\[...\]`), or null. */
function firstMathSpan(s: string): string | null {
  const m = /\$\$([\s\S]+?)\$\$|\$([^$]+)\$|\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\]/.exec(s);
  if (!m) return null;
  return (m[1] ?? m[2] ?? m[3] ?? m[4] ?? "").trim();
}

/** Answers written after a phrase are short; looking further than this only costs time. */
const MAX_PHRASE_ANSWER_CHARS = 2_000;

/** The text from `start` to the end of its line, at most MAX_PHRASE_ANSWER_CHARS of it. */
function lineFrom(text: string, start: number): string {
  const limit = Math.min(text.length, start + MAX_PHRASE_ANSWER_CHARS);
  const end = text.indexOf("\n", start);
  return text.slice(start, end < 0 || end > limit ? limit : end);
}

/** Prose that follows an answer: "25, since the other root is negative". */
const TRAILING_PROSE =
  /,?\s+(?:since|because|as|which|so|where|when|but|given|from|and\s+(?:the|this|that|it|we|so))\b/i;

/** Markdown emphasis around an answer: `**12**`, `** 12` after `**Final Answer:**`. */
const stripEmphasis = (s: string): string => s.replace(/^[\s*_]+|[\s*_]+$/g, "");

/** Cuts a phrase answer ("... answer is **42**, since ...") down to the answer. */
function cleanPhraseAnswer(rest: string): string {
  const line = stripEmphasis(rest);
  const math =
    line.startsWith("$") || line.startsWith("\\(") || line.startsWith("\\[") ? firstMathSpan(line) : null;
  if (math !== null) return math;
  // A sentence ends at a period followed by a space or the end; `3.5` does not end one.
  const sentenceEnd = line.search(/\.(\s|$)/);
  let sentence = sentenceEnd >= 0 ? line.slice(0, sentenceEnd) : line;
  const prose = sentence.search(TRAILING_PROSE);
  if (prose > 0) sentence = sentence.slice(0, prose);
  return stripEmphasis(sentence.replace(/[\s,;:!]+$/, ""));
}

/**
 * "Final answer is", "The answer is", "Answer:", and a markdown heading that is only "Final Answer"
 * (`**Final Answer**`, `### Final Answer`) with the answer on a later line. The closing `**` of a bold label
 * (`**Final Answer:**`) is skipped with the line breaks after it, as the plain `Final Answer:` line break was.
 */
const PHRASE =
  /(final\s+answer\s*(?:is\s*:?|:)|answer\s+is\s*:?|answer\s*:|(?<=(?:^|\n)[ \t]*(?:#{1,6}[ \t]*)?[*_]*)final\s+answer(?=[*_]*[ \t]*\n))[*_]*\s*/gi;

function fromPhrases(text: string, rules: readonly ExtractionRule[]): Extraction | null {
  const wantFinal = rules.includes("final-answer");
  const wantPlain = rules.includes("answer-is");
  const matches: { end: number; rule: ExtractionRule }[] = [];
  PHRASE.lastIndex = 0;
  for (let m = PHRASE.exec(text); m !== null; m = PHRASE.exec(text)) {
    const rule: ExtractionRule = /^final/i.test(m[1] as string) ? "final-answer" : "answer-is";
    if ((rule === "final-answer" && wantFinal) || (rule === "answer-is" && wantPlain))
      matches.push({ end: m.index + m[0].length, rule });
  }
  // The last phrase that is followed by an answer wins; walk back from the end so only that one is cleaned.
  for (let j = matches.length - 1; j >= 0; j--) {
    const { end, rule } = matches[j] as { end: number; rule: ExtractionRule };
    const answer = cleanPhraseAnswer(lineFrom(text, end));
    if (answer.length > 0) return { answer, rule, candidates: [answer] };
  }
  return null;
}

/** `x = 2`: the name a solution is written for (null for a bare value). */
function assignedName(math: string): string | null {
  return /^\s*([a-zA-Z](?:_\{?\w+\}?)?)\s*=[^=]*$/.exec(math)?.[1] ?? null;
}

/** A `$...$` span, then only "or" / "and" / commas up to the end: the span before a trailing one's. */
const JOINED_SPAN = /\$([^$]+)\$((?:\s|,|\bor\b|\band\b|\\text\s*\{\s*(?:or|and)\s*\})*)$/;

/**
 * The trailing `$...$` and the spans joined to it by "or" / "and" that solve for the same name: "the solutions
 * are $x=2$ or $x=3$" gives `x=2` and `x=3` (both roots, as `\boxed{2}` or `\boxed{3}` do); "$a = 3$ and
 * $b = 5$" gives `b = 5` alone, two unknowns not being two answers. Only the last span was read before, so a
 * full solution set was graded as its last root. Spans joined by commas alone are not read as one (a list of
 * steps as often as of roots).
 */
function joinedSpans(before: string, last: string): string[] {
  const name = assignedName(last);
  const spans = [last];
  let rest = before;
  for (let m = JOINED_SPAN.exec(rest); m !== null && spans.length < MAX_GROUP; m = JOINED_SPAN.exec(rest)) {
    // The gap next to the last span says "or" / "and"; earlier ones may be commas (`$x=3$, $x=5$ and $x=7$`).
    const gap = m[2] as string;
    if (spans.length === 1 && !/\b(?:or|and)\b/.test(gap)) break;
    if (!/\b(?:or|and)\b|,/.test(gap)) break;
    const span = (m[1] as string).trim();
    if (span.length === 0 || assignedName(span) !== name) break;
    spans.unshift(span);
    rest = rest.slice(0, m.index);
  }
  return spans;
}

function fromTrailingMath(text: string): Extraction | null {
  const trimmed = text.replace(/[\s.!]+$/, "");
  const m = /(?:\$\$([\s\S]+?)\$\$|\$([^$]+)\$|\\\(([\s\S]+?)\\\)|\\\[([\s\S]+?)\\\])$/.exec(trimmed);
  if (!m) return null;
  const answer = (m[1] ?? m[2] ?? m[3] ?? m[4] ?? "").trim();
  if (answer.length === 0) return null;
  const candidates = m[2] === undefined ? [answer] : joinedSpans(trimmed.slice(0, m.index), answer);
  return { answer, rule: "dollar", candidates };
}

function fromAnswerBlock(block: string): Extraction | null {
  const answer = blockAnswer(block);
  return answer === null ? null : { answer, rule: "answer-tag", candidates: [answer] };
}

const NUMBER = /-?\d+(?:,\d{3})*(?:\.\d+)?(?:\s*\/\s*\d+)?/g;

function fromLastNumber(text: string): Extraction | null {
  let last: string | null = null;
  NUMBER.lastIndex = 0;
  for (let m = NUMBER.exec(text); m !== null; m = NUMBER.exec(text)) last = m[0];
  return last === null ? null : { answer: last.replace(/\s+/g, ""), rule: "last-number", candidates: [last] };
}

/**
 * Finds the final answer of a model response. Rules are tried in the order given (default: boxed, GSM8K
 * `####`, "final answer", "the answer is", a trailing `$...$`, an answer block's text); the first that finds
 * something wins, and the result says which one fired. The last-number fallback is off unless asked for, because it guesses.
 * A reasoning model's `<think>...</think>` is skipped: only the text after the last `</think>` is searched, and a
 * reply cut off inside `<think>` has no final answer. When that text holds an `<answer>...</answer>` block,
 * every rule searches only the last one, and the `answer-tag` rule takes its whole text when no rule before it
 * found an answer there; a last `<answer>` never closed (a stop string removed `</answer>`) runs to the end.
 * A response that is not a string (null, a number) is read as `grade` reads it: a number as its text, anything
 * else as empty, so it has no answer. Invalid options (an unknown rule) throw a TypeError or RangeError.
 */
export function extractAnswer(response: string, options: ExtractOptions = {}): Extraction | null {
  checkOptions("extractAnswer", options);
  // Before the tail is cut, so a long reply cut off inside its thinking is not read from the middle of it, and
  // an answer block is found whole. Every rule searches only the block when there is one.
  const scope = answerScope(outsideThinking(answerText(response)));
  const responseText = scope.text;
  const rules = options.rules ?? DEFAULT_EXTRACTION_RULES;
  const max = options.maxResponseChars ?? DEFAULT_MAX_RESPONSE_CHARS;
  const text = responseText.length > max ? responseText.slice(responseText.length - max) : responseText;
  let phrasesTried = false;
  for (const rule of rules) {
    let found: Extraction | null = null;
    if (rule === "boxed") found = fromBoxes(text);
    else if (rule === "gsm8k") found = fromGsm8k(text);
    else if (rule === "final-answer" || rule === "answer-is") {
      if (phrasesTried) continue;
      phrasesTried = true;
      found = fromPhrases(text, rules);
    } else if (rule === "dollar") found = fromTrailingMath(text);
    else if (rule === "answer-tag") found = scope.inBlock ? fromAnswerBlock(text) : null;
    else if (rule === "last-number") found = fromLastNumber(text);
    if (found !== null && found.answer.length > 0) return found;
  }
  return null;
}
