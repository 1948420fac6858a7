import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { readJsonlRecords } from "./jsonl.js";

const dir = mkdtempSync(join(tmpdir(), "ssb-curation-jsonl-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("reads a file that starts with a byte order mark, and names the line of a broken record", async () => {
  const file = join(dir, "bom.jsonl");
  writeFileSync(file, '\ufeff{"a": 1}\r\n\r\n{"a": 2}\n');
  expect(await readJsonlRecords(file, (v) => v)).toEqual([{ a: 1 }, { a: 2 }]);
  writeFileSync(file, '{"a": 1}\n{"a": \n');
  await expect(readJsonlRecords(file, (v) => v)).rejects.toThrow(/bom\.jsonl:2:7: not valid JSON/);
});

it("refuses a directory, naming it, instead of a bare EISDIR", async () => {
  const folder = join(dir, "a-folder");
  mkdirSync(folder);
  await expect(readJsonlRecords(folder, (v) => v)).rejects.toThrow(
    `${folder} is a directory, not a JSONL file`,
  );
});
