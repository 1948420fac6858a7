import { describe, expect, it } from "vitest";
import { gsm8kGold, parseProblem, parseRollout } from "./parse-records.js";

describe("parse-records from code", () => {
  it("gsm8kGold refuses a non-string, naming itself", () => {
    expect(() => gsm8kGold(null as never)).toThrow(/^gsm8kGold: answer must be a string, found null$/);
    expect(() => gsm8kGold(72 as never)).toThrow(/found number 72/);
    expect(gsm8kGold("so 70 + 2 #### 72 ")).toBe("72");
    expect(gsm8kGold("72")).toBeNull();
  });

  it("without `where`, errors say what record they are about instead of undefined", () => {
    expect(() => parseRollout({ problemId: "p", text: "t" })).toThrow(
      /^rollout record: field "sampleIndex" must be an integer >= 0, found nothing/,
    );
    expect(() => parseRollout(7)).toThrow(/^rollout record: expected a rollout record to be a JSON object/);
    expect(() => parseProblem({ id: "a", answer: "1" })).toThrow(/^problem record: field "question"/);
    expect(parseRollout({ problemId: 1, sampleIndex: 0, text: "t" }, "r.jsonl:1").problemId).toBe("1");
  });
});
