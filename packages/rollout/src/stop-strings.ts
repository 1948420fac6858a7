/** Stop strings: finding one in a reply as it grows, one token at a time. */
import type { StopChecker } from "./sequence.js";

/**
 * A checker over token ids that `decode` turns into text. It is called after every new token and decodes
 * only the reply's tail, which is where a new match must end. A token of a byte-level vocabulary decodes
 * to at least one byte, so a stop string's UTF-8 length, in tokens, reaches back far enough; it is doubled,
 * with slack, for tokens that decode to partial characters or to nothing. (Counted in characters, as
 * before, a stop string of five CJK characters, 15 tokens, never fitted and never stopped a reply.)
 * Where a step completes more than one stop string, the one that starts first is returned.
 */
export function stopStringChecker(decode: (ids: readonly number[]) => string): StopChecker {
  const bytes = new Map<string, number>();
  return (tokens, stops) => {
    let longest = 0;
    for (const s of stops) {
      let n = bytes.get(s);
      if (n === undefined) {
        n = Buffer.byteLength(s, "utf8");
        bytes.set(s, n);
      }
      longest = Math.max(longest, n);
    }
    const tail = decode(tokens.slice(-(2 * longest + 4)));
    let hit: string | null = null;
    let at = Number.POSITIVE_INFINITY;
    for (const s of stops) {
      const i = tail.indexOf(s);
      if (i >= 0 && i < at) {
        hit = s;
        at = i;
      }
    }
    return hit;
  };
}
