/**
 * Reasoning models (Qwen3 in thinking mode, DeepSeek-R1 and its distills, QwQ) think aloud inside
 * `<think>...</think>` and then write their solution. Tentative answers in the thinking ("maybe \boxed{12}?",
 * "so the answer is 12... no") are not the reply's final answer: graded with the rest, a box in the thinking beat
 * a final answer written without one, and a reply cut off mid-thought was graded by its last guess.
 */

const OPEN = "<think>";
const CLOSE = "</think>";

/**
 * The part of a reply that may hold its final answer: the text after the last `</think>` (an R1 distill's
 * template puts `<think>` in the prompt, so its reply holds only the closing tag), up to a `<think>` that is
 * never closed. A reply still inside `<think>` (cut off at the token limit) has nothing outside it, so it has no
 * final answer. A reply without the tags is returned as it is.
 */
export function outsideThinking(text: string): string {
  const close = text.lastIndexOf(CLOSE);
  const rest = close < 0 ? text : text.slice(close + CLOSE.length);
  const open = rest.indexOf(OPEN);
  return open < 0 ? rest : rest.slice(0, open);
}
