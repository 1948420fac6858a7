import { describe, expect, it } from "vitest";
import { splitLines } from "./line-splitter.js";

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
