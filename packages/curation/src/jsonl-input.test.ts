import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readJsonl } from "./jsonl.js";

describe("readJsonl", () => {
  const dir = mkdtempSync(join(tmpdir(), "ssb-curation-lines-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a line past the limit (a JSON array on one line) as an error, not an uncaught RangeError", async () => {
    // node:readline threw `RangeError: Invalid string length` from inside the stream on a line past V8's
    // ~512 MiB string limit, killing the process with a stack trace; the limit is lowered here to test it.
    const file = join(dir, "array.jsonl");
    writeFileSync(file, `{"a": 1}\n[${Array.from({ length: 100 }, () => '{"a": 1}').join(",")}]\n`);
    const read = async () => {
      const out: unknown[] = [];
      for await (const { value } of readJsonl(file, [], 256)) out.push(value);
      return out;
    };
    await expect(read()).rejects.toThrow(`${file}:2: line is longer than 256 characters;`);
  });
});

describe("readJsonl on a binary file", () => {
  const dir = mkdtempSync(join(tmpdir(), "ssb-curation-binary-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("names a Parquet or Arrow dataset with the command that converts it", async () => {
    const cases: [string, Buffer, RegExp][] = [
      [
        "train.parquet",
        Buffer.from("PAR1\x15\x04\x15\x00", "latin1"),
        /train\.parquet: a Parquet file, not JSON Lines/,
      ],
      [
        "cache.arrow",
        Buffer.from("\xff\xff\xff\xff\x10\x01\0\0", "latin1"),
        /cache\.arrow: an Arrow IPC stream/,
      ],
    ];
    for (const [name, bytes, message] of cases) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      await expect(readJsonl(file).next()).rejects.toThrow(message);
    }
  });
});
