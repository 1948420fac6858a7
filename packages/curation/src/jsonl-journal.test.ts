import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openJournal, problemIdKey } from "./jsonl-journal.js";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "ssb-journal-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("openJournal", () => {
  it("appends records and reports existing keys on reopen", () => {
    const path = join(tmp(), "x.jsonl");
    const j = openJournal<{ problemId: string; v: number }>(path, problemIdKey);
    j.append("a", { problemId: "a", v: 1 });
    j.append("b", { problemId: "b", v: 2 });
    expect(() => j.append("a", { problemId: "a", v: 3 })).toThrow(/already recorded/);
    j.close();
    const again = openJournal<{ problemId: string; v: number }>(path, problemIdKey);
    expect([...again.keys]).toEqual(["a", "b"]);
    expect(again.existing).toEqual([
      { problemId: "a", v: 1 },
      { problemId: "b", v: 2 },
    ]);
    expect(again.truncatedBytes).toBe(0);
    again.close();
  });

  it("cuts a partial last line left by a crash, then appends cleanly", () => {
    const path = join(tmp(), "x.jsonl");
    writeFileSync(path, '{"problemId":"a"}\n{"problemId":"b","te');
    const j = openJournal(path, problemIdKey);
    expect([...j.keys]).toEqual(["a"]);
    expect(j.truncatedBytes).toBe('{"problemId":"b","te'.length);
    j.append("b", { problemId: "b" });
    j.close();
    expect(readFileSync(path, "utf8")).toBe('{"problemId":"a"}\n{"problemId":"b"}\n');
  });

  it("keeps a whole last record that lacks only its newline, ending it before the next append", () => {
    const path = join(tmp(), "x.jsonl");
    writeFileSync(path, '{"problemId":"a"}\n{"problemId":"b","v":2}');
    const j = openJournal(path, problemIdKey);
    expect([...j.keys]).toEqual(["a", "b"]);
    expect(j.existing).toEqual([{ problemId: "a" }, { problemId: "b", v: 2 }]);
    expect(j.truncatedBytes).toBe(0);
    j.append("c", { problemId: "c" });
    j.close();
    expect(readFileSync(path, "utf8")).toBe(
      '{"problemId":"a"}\n{"problemId":"b","v":2}\n{"problemId":"c"}\n',
    );
    // A last line that parses but is no record (no problemId) was not cut off by a crash: refused, kept.
    writeFileSync(path, '{"problemId":"a"}\n{"v":2}');
    expect(() => openJournal(path, problemIdKey)).toThrow(
      `${path}:2: expected a record with a string "problemId" field`,
    );
    expect(readFileSync(path, "utf8")).toBe('{"problemId":"a"}\n{"v":2}');
  });

  it("leaves a refused journal exactly as it was, torn tail included", () => {
    const path = join(tmp(), "x.jsonl");
    const text = '{"problemId":"a"}\n{"id":1}\n{"problemId":"b","te';
    writeFileSync(path, text);
    expect(() => openJournal(path, problemIdKey)).toThrow(/x\.jsonl:2: expected a record/);
    expect(readFileSync(path, "utf8")).toBe(text);
  });

  it("reads a journal that an editor saved with a byte order mark", () => {
    const path = join(tmp(), "x.jsonl");
    writeFileSync(path, '\ufeff{"problemId":"a"}\n');
    const j = openJournal(path, problemIdKey);
    expect([...j.keys]).toEqual(["a"]);
    j.close();
  });

  it("names file and line for a corrupt or duplicate record", () => {
    const path = join(tmp(), "x.jsonl");
    writeFileSync(path, '{"problemId":"a"}\nnot json\n');
    expect(() => openJournal(path, problemIdKey)).toThrow(new RegExp(`${path}:2:2: invalid JSON`));
    writeFileSync(path, '{"problemId":"a"}\n{"id":1}\n');
    expect(() => openJournal(path, problemIdKey)).toThrow(
      /x\.jsonl:2: expected a record with a string "problemId"/,
    );
    writeFileSync(path, '{"problemId":"a"}\n');
    appendFileSync(path, '{"problemId":"a"}\n');
    expect(() => openJournal(path, problemIdKey)).toThrow(/x\.jsonl:2: problem id "a" appears twice/);
  });
});
