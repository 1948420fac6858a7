/**
 * R1-Zero's prompt, open-r1's system prompt and many GRPO recipes ask for `<think>...</think><answer>...</answer>`:
 * the final answer is the answer block's content, often written without a box (`<answer>42</answer>`). Searched
 * with the rest of the reply, such an answer was not found at all, was read with the closing tag glued on
 * (`The answer is 1/2</answer>`), or lost to a box in the working before the block.
 */

const OPEN = "<answer>";
const CLOSE = "</answer>";

/** The part of a reply its final answer is searched in, and whether that part is an answer block's content. */
export interface AnswerScope {
  text: string;
  inBlock: boolean;
}

/**
 * The content of the reply's last `<answer>` block (text outside it is not the answer), else the whole text. A
 * block starts after the last `<answer>` before its `</answer>`: in `<answer>\n<answer>42</answer>` the first
 * tag opens nothing, and the answer is `42`, not `<answer>42`. A last block never closed runs to the end of the
 * text: samplers that stop at the string `</answer>` leave it out of the reply (vLLM by default, @ssb/rollout's
 * stop strings), so `<answer>42` is most often a finished answer. A reply cut off at the token limit inside its
 * block looks the same (`<answer>4` may be the start of `42`); that is what a generation's finish reason
 * (`length`) tells, as for a reply cut off after "The answer is 4", and curation and eval read it. A blank last
 * block never closed is an empty block, no answer, as `<answer></answer>` is: a sampler stopping at `</answer>`
 * turns the one into the other, and both must grade alike. Called on the text outside the thinking, so a block
 * written while thinking does not count.
 */
export function answerScope(text: string): AnswerScope {
  let last: string | null = null;
  let from = 0;
  for (;;) {
    const open = text.indexOf(OPEN, from);
    if (open < 0) break;
    const close = text.indexOf(CLOSE, open + OPEN.length);
    // The block an end tag closes opens at the nearest `<answer>` before it (lastIndexOf from just before it
    // finds `open` at worst); text.length when there is no end tag, so the last tag opens the open block.
    const end = close < 0 ? text.length : close;
    const start = text.lastIndexOf(OPEN, end - OPEN.length) + OPEN.length;
    const content = text.slice(start, end);
    // Stopped at (or cut off before) its closing tag: the last block, to the end of the text.
    if (close < 0) return { text: content, inBlock: true };
    last = content;
    from = close + CLOSE.length;
  }
  return last === null ? { text, inBlock: false } : { text: last, inBlock: true };
}

/**
 * A block's whole text as its answer (rule `answer-tag`), once no other rule found one inside it: trimmed, with
 * markdown emphasis (`**42**`) and a final full stop removed (`42.`; not the point of `3.5`). Empty gives null.
 */
export function blockAnswer(block: string): string | null {
  const answer = block
    .trim()
    .replace(/^[*_]+|[*_]+$/g, "")
    .replace(/\.$/, "")
    .replace(/^[*_\s]+|[*_\s]+$/g, "");
  return answer.length > 0 ? answer : null;
}
