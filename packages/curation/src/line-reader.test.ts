import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readJsonl } from "./jsonl.js";
import { splitLines } from "./line-reader.js";

async function* chunks(...parts: (string | Buffer)[]): AsyncGenerator<string | Buffer> {
  for (const part of parts) yield part;
}

async function all(input: AsyncIterable<string | Buffer>, max?: number): Promise<string[]> {
  const out: string[] = [];
  for await (const line of splitLines(input, "f.jsonl", max)) out.push(line);
  return out;
}

describe("splitLines", () => {
  it("splits on \\n, \\r\\n and a lone \\r as node:readline does, across chunk boundaries", async () => {
    expect(await all(chunks("a\nb\r\nc\rd"))).toEqual(["a", "b", "c", "d"]);
    expect(await all(chunks("a\r", "\nb\n"))).toEqual(["a", "b"]);
    expect(await all(chunks("a\r", "\r", "\nb"))).toEqual(["a", "", "b"]);
    expect(await all(chunks("ab", "c", "\n\n", "d\n"))).toEqual(["abc", "", "d"]);
    expect(await all(chunks(""))).toEqual([]);
  });

  it("decodes UTF-8 split between two buffers", async () => {
    const bytes = Buffer.from("é\n½\n", "utf8");
    expect(await all(chunks(bytes.subarray(0, 1), bytes.subarray(1, 4), bytes.subarray(4)))).toEqual([
      "é",
      "½",
    ]);
  });

  it("refuses a line longer than the limit, naming the file and line, after yielding the lines before it", async () => {
    const seen: string[] = [];
    const reading = (async () => {
      for await (const line of splitLines(chunks("ok\n", "0123", "4567", "89\nnext\n"), "f.jsonl", 8))
        seen.push(line);
    })();
    await expect(reading).rejects.toThrow(
      /^f\.jsonl:2: line is longer than 8 characters; JSON Lines holds one record per line \(is this one JSON array/,
    );
    expect(seen).toEqual(["ok"]);
    expect(await all(chunks("01234567\n"), 8)).toEqual(["01234567"]);
  });
});

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
