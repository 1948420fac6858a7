import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseJsonFile, parseJsonObjectFile, readJsonFile, stripBom } from "./json-file.js";

const root = mkdtempSync(join(tmpdir(), "ssb-json-file-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("parseJsonFile", () => {
  it("names the file and the line:column where a truncated file ends", () => {
    // V8's message differs with where the text stops; the place must be its end either way.
    expect(() => parseJsonFile('{\n  "step": 3,\n  "epoch": ', "run/trainer_state.json")).toThrow(
      "run/trainer_state.json:3:12: not valid JSON (Unexpected end of JSON input)",
    );
    expect(() => parseJsonFile('{\n  "step": 3,\n  "config": {', "run/trainer_state.json")).toThrow(
      /^run\/trainer_state\.json:3:14: not valid JSON \(/,
    );
  });

  it("names the line:column of a syntax error inside the file", () => {
    expect(() => parseJsonFile('{\n  "step": 3,\n  x\n}', "state.json")).toThrow(
      /^state\.json:3:3: not valid JSON/,
    );
  });

  it("finds the line:column when JSON.parse's message gives no position (a YAML-style .inf, a stray word)", () => {
    // V8 says only "Unexpected token '.', ...": .inf}}" is not valid JSON" for these.
    expect(() => parseJsonFile('{"seed": 3,\n "sampling": {"temperature": .inf}}', "c.json")).toThrow(
      /^c\.json:2:30: not valid JSON/,
    );
    // "t" may begin `true`: the parser refuses the "h", and the place is where it is.
    expect(() => parseJsonFile('{\n  "lr": 1e-4,\n  "epochs": three\n}', "c.json")).toThrow(
      /^c\.json:3:14: /,
    );
    expect(() => parseJsonFile("3x", "c.json")).toThrow(/^c\.json:1:2: /);
  });

  it("says an empty file is empty", () => {
    expect(() => parseJsonFile("", "state.json")).toThrow(
      "state.json:1:1: not valid JSON (the file is empty)",
    );
  });

  it("parses valid JSON", () => {
    expect(parseJsonFile('{"a": [1, 2]}', "f.json")).toEqual({ a: [1, 2] });
  });

  it("skips a leading byte-order mark (Windows editors write one); errors still name the place", () => {
    expect(parseJsonFile('\uFEFF{"a": 1}', "f.json")).toEqual({ a: 1 });
    expect(parseJsonObjectFile('\uFEFF{\n  "step": 2\n}\n', "state.json")).toEqual({ step: 2 });
    expect(() => parseJsonFile("\uFEFF{\n  x\n}", "f.json")).toThrow(/^f\.json:2:3: not valid JSON/);
    expect(() => parseJsonFile("\uFEFF", "f.json")).toThrow("f.json:1:1: not valid JSON (the file is empty)");
  });
});

describe("the reason shown", () => {
  it("leaves out V8's position and its copy of the text (the place says where)", () => {
    // V8: "Expected ',' or '}' after property value in JSON at position 27 (line 4 column 3)".
    expect(() => parseJsonFile('{\n  "n": 4,\n  "seed": 1\n  "limit": 2\n}\n', "config.json")).toThrow(
      "config.json:4:3: not valid JSON (Expected ',' or '}' after property value)",
    );
    // V8: `Unexpected token ']', "{ ... }" is not valid JSON`, with the whole text copied in.
    expect(() => parseJsonFile('{\n  "benchmarks": [\n    "gsm8k",\n  ]\n}\n', "config.json")).toThrow(
      "config.json:4:3: not valid JSON (Unexpected token ']')",
    );
    expect(() => parseJsonFile('{"n": 4}\nx', "config.json")).toThrow(
      "config.json:2:1: not valid JSON (Unexpected non-whitespace character after JSON)",
    );
  });
});

describe("readJsonFile", () => {
  it("reads a file, naming it (and the place) when it cannot", () => {
    const file = join(root, "run.json");
    writeFileSync(file, '\uFEFF{"seed": 1}');
    expect(readJsonFile(file)).toEqual({ seed: 1 });
    writeFileSync(file, '{"seed": }');
    expect(() => readJsonFile(file)).toThrow(`${file}:1:10: not valid JSON (Unexpected token '}')`);
    const missing = join(root, "missing.json");
    expect(() => readJsonFile(missing)).toThrow(`${missing}: cannot read JSON (ENOENT`);
  });
});

describe("parseJsonObjectFile", () => {
  it("refuses JSON that is not an object, naming the file", () => {
    expect(() => parseJsonObjectFile("null", "state.json")).toThrow(
      "state.json: expected a JSON object, found null",
    );
    expect(() => parseJsonObjectFile("[1]", "state.json")).toThrow("found an array");
    expect(parseJsonObjectFile('{"step": 1}', "state.json")).toEqual({ step: 1 });
  });
});

describe("stripBom", () => {
  it("removes only a leading U+FEFF", () => {
    expect(stripBom("\uFEFF{}")).toBe("{}");
    expect(stripBom("{}\uFEFF")).toBe("{}\uFEFF");
    expect(stripBom("")).toBe("");
  });
});
