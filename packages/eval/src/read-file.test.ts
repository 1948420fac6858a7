import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { jsonErrorOffset, lineColumn } from "./json-error-position.js";
import { readJsonFile } from "./read-file.js";

const root = mkdtempSync(join(tmpdir(), "ssb-eval-read-file-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The error readJsonFile throws for a file holding `text`. */
function errorFor(text: string): string {
  const file = join(root, "config.json");
  writeFileSync(file, text);
  try {
    readJsonFile(file);
  } catch (error) {
    return (error as Error).message.replace(file, "config.json");
  }
  throw new Error("expected an error");
}

describe("readJsonFile", () => {
  it("names file:line:column where V8 gives a position", () => {
    // Line 3 misses its comma: V8 says "Expected ',' or '}' after property value ... at position N".
    expect(errorFor('{\n  "n": 4,\n  "seed": 1\n  "limit": 2\n}\n')).toBe(
      "config.json:4:3: not valid JSON (Expected ',' or '}' after property value)",
    );
    expect(errorFor('{"n": 4}\nx')).toBe(
      "config.json:2:1: not valid JSON (Unexpected non-whitespace character after JSON)",
    );
  });

  it("finds line:column itself where V8 gives none (unexpected token, early end)", () => {
    // V8: `Unexpected token '}', "{ ... }" is not valid JSON`, with a copy of the text and no position.
    expect(errorFor('{\n  "benchmarks": [\n    "gsm8k",\n  ]\n}\n')).toBe(
      "config.json:4:3: not valid JSON (Unexpected token ']')",
    );
    // V8: "Unexpected end of JSON input".
    expect(errorFor('{\n  "greedy": tr')).toBe(
      "config.json:2:15: not valid JSON (Unexpected end of JSON input)",
    );
    expect(errorFor("")).toBe("config.json:1:1: not valid JSON (Unexpected end of JSON input)");
  });

  it("counts columns after a byte-order mark as the editor shows them", () => {
    expect(errorFor('\uFEFF{"n": }')).toBe("config.json:1:7: not valid JSON (Unexpected token '}')");
  });

  it("names a file it cannot read", () => {
    expect(() => readJsonFile(join(root, "missing.json"))).toThrow(
      `${join(root, "missing.json")}: cannot read JSON (ENOENT`,
    );
  });
});

describe("jsonErrorOffset", () => {
  it("agrees with JSON.parse on what is valid", () => {
    for (const text of ['{"a":[1,-2.5e+3,true,false,null,"x\\u00e9\\n"],"b":{}}', " [ ] ", "0", '""'])
      expect(jsonErrorOffset(text), text).toBeNull();
  });

  it("points at the first character no JSON text could continue through", () => {
    const cases: [string, number][] = [
      ["[1,2,]", 5],
      ['{"a" 1}', 5],
      ['{"a":tru}', 8],
      ['"a\\qb"', 3],
      ["01", 1],
      ["-", 1],
      ["1.", 2],
      ['{"a":1', 6],
      ['{"a":"x\ny"}', 7],
      ["[".repeat(100000), 100000],
    ];
    for (const [text, offset] of cases) {
      expect(() => JSON.parse(text)).toThrow();
      expect(jsonErrorOffset(text), text.slice(0, 20)).toBe(offset);
    }
  });

  it("gives 1-based lines and columns", () => {
    expect(lineColumn("ab\ncd", 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn("ab\ncd", 4)).toEqual({ line: 2, column: 2 });
  });
});
