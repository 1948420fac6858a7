import { describe, expect, it } from "vitest";
import { stopStringChecker } from "./stop-strings.js";

/** A byte-level "tokenizer": token i is byte i, decoded as UTF-8 (partial characters become U+FFFD). */
const bytesOf = (text: string): number[] => [...Buffer.from(text, "utf8")];
const decodeBytes = (ids: readonly number[]): string => Buffer.from(ids).toString("utf8");

/** The number of tokens after which the checker first reports a hit, feeding `text` one byte at a time. */
function firstHit(text: string, stops: string[]): { after: number; hit: string } | null {
  const check = stopStringChecker(decodeBytes);
  const ids = bytesOf(text);
  for (let n = 1; n <= ids.length; n++) {
    const hit = check(ids.slice(0, n), stops);
    if (hit !== null) return { after: n, hit };
  }
  return null;
}

describe("stopStringChecker", () => {
  it("finds a stop string spread over many tokens, on the token that completes it", () => {
    const text = "The answer is 42.\n\nQuestion: next";
    const stop = "\n\nQuestion:";
    expect(firstHit(text, [stop])).toEqual({ after: text.indexOf(stop) + stop.length, hit: stop });
  });

  it("finds long stop strings of multi-byte characters (3 tokens each)", () => {
    for (const stop of ["你好世界再", "你好世界再见", "問題：次の問題を解いてください"]) {
      const text = `答案是 7。${stop}后面`;
      const prefix = Buffer.byteLength(`答案是 7。${stop}`, "utf8");
      expect(firstHit(text, [stop])).toEqual({ after: prefix, hit: stop });
    }
  });

  it("returns the stop string that starts first when one step completes two", () => {
    // Both end on the final "X": "aX" starts later than "bcaX".
    expect(firstHit("zzbcaX", ["aX", "bcaX"])?.hit).toBe("bcaX");
    expect(firstHit("zzbcaX", ["bcaX", "aX"])?.hit).toBe("bcaX");
  });

  it("reports nothing when no stop string occurs", () => {
    expect(firstHit("no stops here", ["STOP", "停止"])).toBeNull();
  });
});
