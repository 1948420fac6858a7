import { describe, expect, it } from "vitest";
import { parseJsonFile } from "./json-file.js";
import { scanJsonl } from "./jsonl-file.js";

describe("NaN and Infinity, which Python's json writes and JSON has not", () => {
  it("a JSON file names the place and the cause", () => {
    expect(() => parseJsonFile('{\n  "lr": NaN\n}\n', "config.json")).toThrow(
      "config.json:2:9: not valid JSON (Unexpected token 'N'; NaN is not JSON: Python's json writes it for float('nan'); write null or a string)",
    );
    expect(() => parseJsonFile('{"clip": -Infinity}', "config.json")).toThrow(
      "config.json:1:11: not valid JSON (No number after minus sign; -Infinity is not JSON: Python's json writes it for float('inf'); write null or a string)",
    );
  });

  it("a JSONL line too; other errors are worded as before", () => {
    expect(() => scanJsonl(Buffer.from('{"a":1}\n{"loss": Infinity}\n'), "m.jsonl")).toThrow(
      "m.jsonl:2:10: not valid JSON (Unexpected token 'I'; Infinity is not JSON: Python's json writes it for float('inf'); write null or a string)",
    );
    expect(() => scanJsonl(Buffer.from('{"a":}\n'), "m.jsonl")).toThrow(
      /^m\.jsonl:1:6: not valid JSON \(Unexpected token '\}'\)$/,
    );
  });
});
