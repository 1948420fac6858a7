import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readTextFile } from "./read-file.js";
import { readRunManifest } from "./run-manifest.js";

const root = mkdtempSync(join(tmpdir(), "ssb-eval-read-file-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("files eval reads", () => {
  it("a damaged run.json names file:line:column (a truncated write, a hand edit)", () => {
    const file = join(root, "run.json");
    writeFileSync(file, '{\n  "format": "ssb-eval-run/1",\n  "config": {\n    "n": 4,\n  }\n}\n');
    expect(() => readRunManifest(file)).toThrow(
      `${file}:5:3: not valid JSON (Expected double-quoted property name)`,
    );
    writeFileSync(file, '{\n  "format": "ssb-ev');
    expect(() => readRunManifest(file)).toThrow(`${file}:2:20: not valid JSON (Unterminated string)`);
    expect(() => readRunManifest(join(root, "missing.json"))).toThrow(
      /missing\.json: cannot read JSON \(ENOENT/,
    );
  });

  it("text files lose a leading byte-order mark only", () => {
    const file = join(root, "prompt.txt");
    writeFileSync(file, "\uFEFFSolve: {{question}}\uFEFF");
    expect(readTextFile(file)).toBe("Solve: {{question}}\uFEFF");
  });
});
