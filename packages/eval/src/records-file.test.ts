import { describe, expect, it } from "vitest";
import { parseRecord } from "./records-file.js";

const line = (tokens: string) =>
  `{"benchmark":"b","problemId":"p","sampleIndex":0,"gold":"1","text":"","extracted":null,"correct":false,"verdict":"no-answer","reason":"","tokens":${tokens},"finishReason":"stop"}`;

describe("parseRecord", () => {
  it("refuses a token count that is infinite or negative, naming the line (not a later 'mean: values[0]')", () => {
    expect(() => parseRecord(JSON.parse(line("1e400")), "records.jsonl:3")).toThrow(
      'records.jsonl:3: field "tokens" must be a non-negative finite number (got Infinity)',
    );
    expect(() => parseRecord(JSON.parse(line("-3")), "records.jsonl:3")).toThrow(
      'records.jsonl:3: field "tokens" must be a non-negative finite number (got -3)',
    );
    expect(parseRecord(JSON.parse(line("12")), "records.jsonl:3").tokens).toBe(12);
  });
});
