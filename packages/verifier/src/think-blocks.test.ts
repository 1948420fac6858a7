import { describe, expect, it } from "vitest";
import { extractAnswer, grade } from "./index.js";
import { outsideThinking } from "./think-blocks.js";

describe("outsideThinking", () => {
  it.each([
    ["no tags", "So \\boxed{5}.", "So \\boxed{5}."],
    ["Qwen3 thinking", "<think>\nhmm\n</think>\n\nSo 5.", "\n\nSo 5."],
    ["empty thinking", "<think>\n\n</think>\n\n5", "\n\n5"],
    ["R1 distill: closing tag only", "reasoning\n</think>\n5", "\n5"],
    ["cut off inside the thinking", "<think>\nso \\boxed{12}", ""],
    ["a second thinking left open", "<think>a</think> 5 <think> 6", " 5 "],
  ])("%s", (_label, text, outside) => expect(outsideThinking(text)).toBe(outside));
});

describe("a reply cut off inside a long thinking", () => {
  const reply = `<think>\n${"Let me check that again. ".repeat(40)}So maybe \\boxed{12}`;
  it("has no answer even when only its tail is searched", () => {
    // The tail past maxResponseChars no longer holds `<think>`, but the reply is still inside it.
    expect(extractAnswer(reply, { maxResponseChars: 100 })).toBeNull();
    expect(grade(reply, "12", { maxResponseChars: 100 }).verdict).toBe("no-answer");
  });
});
