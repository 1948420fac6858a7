import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRolloutJournal, type RolloutRecord } from "./rollout-journal.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-journal-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const rec = (problemId: string, sampleIndex: number): RolloutRecord => ({
  problemId,
  sampleIndex,
  text: "t",
  tokenIds: [1, 2],
  finishReason: "stop",
  promptTokens: 3,
  sampling: {},
  seed: 0,
  modelId: "m",
});

describe("rollout journal", () => {
  it("resumes, drops a torn last line, never duplicates", () => {
    const file = path.join(dir, "a.jsonl");
    const j = openRolloutJournal(file, { s: 1 });
    expect(j.append([rec("p", 0), rec("p", 1)])).toBe(0);
    j.close();
    appendFileSync(file, '{"problemId":"p","sampleIn'); // a write cut off by a crash
    const warnings: string[] = [];
    const k = openRolloutJournal(file, { s: 1 }, { warn: (m) => warnings.push(m) });
    // Said, naming the line, so a user sees what the kill cost.
    expect(warnings).toEqual([
      `${file}:3: dropped a torn last line (26 bytes without a newline: a record cut off when a run stopped mid-write); its pair is generated again`,
    ]);
    expect(k.has("p", 0) && k.has("p", 1)).toBe(true);
    expect(k.has("p", 2)).toBe(false);
    expect(k.append([rec("p", 1), rec("p", 2)])).toBe(1);
    k.close();
    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
    expect(lines.map((l) => JSON.parse(l).sampleIndex)).toEqual([0, 1, 2]);
  });

  it("reads an output an editor saved with a byte-order mark, resumes it and sorts it", () => {
    const file = path.join(dir, "bom.jsonl");
    openRolloutJournal(file, { s: 1 }).close(); // pins the settings
    writeFileSync(file, `\uFEFF${JSON.stringify(rec("q", 1))}\n${JSON.stringify(rec("p", 0))}\n`);
    const j = openRolloutJournal(file, { s: 1 });
    expect(j.has("q", 1) && j.has("p", 0)).toBe(true);
    j.append([rec("q", 0)]);
    j.sortLines((id) => (id === "p" ? 0 : 1));
    j.close();
    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
    expect(
      lines.map((l) => JSON.parse(l) as RolloutRecord).map((r) => `${r.problemId}#${r.sampleIndex}`),
    ).toEqual(["p#0", "q#0", "q#1"]);
  });

  it("keeps a whole last record that only lacks its newline, and adds the newline", () => {
    const file = path.join(dir, "no-newline.jsonl");
    const j = openRolloutJournal(file, { s: 1 });
    j.append([rec("p", 0), rec("p", 1)]);
    j.close();
    const whole = readFileSync(file, "utf8");
    writeFileSync(file, whole.slice(0, -1)); // as an editor that strips the final newline leaves it
    const warnings: string[] = [];
    const k = openRolloutJournal(file, { s: 1 }, { warn: (m) => warnings.push(m) });
    expect(k.has("p", 1)).toBe(true); // before: dropped as torn, and the file truncated before it
    expect(warnings).toEqual([]);
    expect(k.append([rec("p", 2)])).toBe(0);
    k.close();
    expect(readFileSync(file, "utf8")).toBe(`${whole}${JSON.stringify(rec("p", 2))}\n`);
    // A last line without newline that is JSON but no record is refused like any other line, changing nothing.
    writeFileSync(file, `${whole}[1, 2]`);
    expect(() => openRolloutJournal(file, { s: 1 })).toThrow(
      /no-newline\.jsonl:3: expected "problemId" \(string\) and "sampleIndex" \(integer\)/,
    );
    expect(readFileSync(file, "utf8")).toBe(`${whole}[1, 2]`);
  });

  it("is held by one job at a time within a process too, under any spelling of its path", () => {
    const file = path.join(dir, "same-process.jsonl");
    const j = openRolloutJournal(file, { s: 1 });
    const linked = path.join(dir, "link-to-dir");
    symlinkSync(dir, linked);
    for (const spelling of [
      file,
      path.relative(process.cwd(), file),
      path.join(linked, "same-process.jsonl"),
    ]) {
      // Before: the pid lock took our own pid as "ours" and a second journal wrote over the first's records.
      expect(() => openRolloutJournal(spelling, { s: 1 })).toThrow(
        /same-process\.jsonl: locked by another rollout job in this process/,
      );
    }
    expect(readFileSync(`${file}.lock`, "utf8")).toBe(String(process.pid)); // the refusal left the lock
    j.close();
    openRolloutJournal(file, { s: 1 }).close(); // free again once closed
  });

  it("names a parent path that is a file, or an output path that is a folder, creating nothing", () => {
    const parent = path.join(dir, "a-file");
    writeFileSync(parent, "the user's");
    expect(() => openRolloutJournal(path.join(parent, "out.jsonl"), { s: 1 })).toThrow(
      /out\.jsonl: cannot create its folder .*a-file: a part of that path is a file, not a folder/,
    );
    expect(readFileSync(parent, "utf8")).toBe("the user's");
    // A folder given as the output (before: "cannot open the rollout output (EISDIR: ...)").
    const folder = path.join(dir, "a-folder");
    mkdirSync(folder);
    expect(() => openRolloutJournal(folder, { s: 1 })).toThrow(
      /a-folder: is a folder; the output is a JSONL file .*\(give a file path, e\.g\. .*a-folder\/rollouts\.jsonl\)/,
    );
    expect(existsSync(`${folder}.lock`) || existsSync(`${folder}.settings.json`)).toBe(false);
  });

  it("removes the temp files a job killed mid-rewrite left beside its output, and nothing else", () => {
    const file = path.join(dir, "temps.jsonl");
    openRolloutJournal(file, { s: 1 }).close();
    const stale = [`${file}.tmp-4242`, `${file}.settings.json.tmp-4242`];
    const kept = [`${file}.tmp-notes`, `${file}x.tmp-4242`, path.join(dir, "other.jsonl.tmp-4242")];
    for (const f of [...stale, ...kept]) writeFileSync(f, "x");
    openRolloutJournal(file, { s: 1 }).close();
    expect(stale.filter((f) => existsSync(f))).toEqual([]);
    expect(kept.filter((f) => existsSync(f))).toEqual(kept);
  });

  it("sorts its lines into canonical order: ranked problems, then sample index, unknown problems after", () => {
    const file = path.join(dir, "sorted.jsonl");
    const j = openRolloutJournal(file, { s: 1 });
    const text = (id: string, i: number) => ({ ...rec(id, i), text: `${id} #${i} — é` }); // multi-byte text
    j.append([text("b", 1), text("x", 0), text("a", 2), text("b", 0), text("a", 0), text("a", 1)]);
    const rank = new Map([
      ["a", 0],
      ["b", 1],
    ]);
    j.sortLines((id) => rank.get(id));
    // Still appendable after the rewrite, and the pairs it holds are still known.
    expect(j.append([text("a", 1), text("c", 0)])).toBe(1);
    j.close();
    const lines = readFileSync(file, "utf8").split("\n").filter(Boolean);
    expect(lines.map((l) => JSON.parse(l).text)).toEqual([
      "a #0 — é",
      "a #1 — é",
      "a #2 — é",
      "b #0 — é",
      "b #1 — é",
      "x #0 — é",
      "c #0 — é",
    ]);
    expect(existsSync(`${file}.tmp-${process.pid}`)).toBe(false);
    // Reopened, it resumes from the sorted file as from any other.
    const k = openRolloutJournal(file, { s: 1 });
    expect(k.size).toBe(7);
    k.close();
  });

  it("is held by one job at a time: a second open of a live job's output is refused", () => {
    const file = path.join(dir, "locked.jsonl");
    writeFileSync(`${file}.lock`, String(process.ppid)); // another live process holds it
    expect(() => openRolloutJournal(file, { s: 1 })).toThrow(
      new RegExp(`^${file}: locked by a running rollout job \\(pid ${process.ppid}, ${file}\\.lock\\)$`),
    );
    rmSync(`${file}.lock`);
    const j = openRolloutJournal(file, { s: 1 });
    expect(readFileSync(`${file}.lock`, "utf8")).toBe(String(process.pid));
    j.close();
    expect(existsSync(`${file}.lock`)).toBe(false);
  });

  it("creates a missing folder for the output, and removes it again when the job is discarded unused", () => {
    const nested = path.join(dir, "new-a", "new-b");
    const file = path.join(nested, "o.jsonl");
    openRolloutJournal(file, { s: 1 }).discardIfUnused();
    expect(existsSync(path.join(dir, "new-a"))).toBe(false);
    const refused = path.join(dir, "new-c", "o.jsonl");
    expect(() =>
      openRolloutJournal(
        refused,
        { s: 1 },
        {
          checkStored: () => {
            throw new Error("no");
          },
        },
      ),
    ).toThrow("no");
    expect(existsSync(path.join(dir, "new-c"))).toBe(false);
    // Used, it stays.
    const kept = openRolloutJournal(file, { s: 1 });
    kept.append([rec("p", 0)]);
    kept.discardIfUnused();
    expect(existsSync(file)).toBe(true);
  });

  it("refuses other settings, unknown files and broken lines, naming the file and line", () => {
    const file = path.join(dir, "b.jsonl");
    openRolloutJournal(file, { s: 1 }).close();
    expect(() => openRolloutJournal(file, { s: 2 })).toThrow(/other settings/);
    const other = path.join(dir, "c.jsonl");
    writeFileSync(other, `${JSON.stringify(rec("p", 0))}\n`);
    expect(() => openRolloutJournal(other, { s: 1 })).toThrow(
      /c\.jsonl: exists without c\.jsonl\.settings\.json, .*refusing to append to it: use a new --out, or move .*c\.jsonl away to start this output over/,
    );
    const bad = path.join(dir, "d.jsonl");
    openRolloutJournal(bad, { s: 1 }).close();
    writeFileSync(bad, `${JSON.stringify(rec("p", 0))}\nnot json\n`);
    expect(() => openRolloutJournal(bad, { s: 1 })).toThrow(
      /d\.jsonl:2:2: not valid JSON \(Unexpected token/,
    );
  });

  it("refuses a settings file that is not an object with the job's fields, naming it, and changes nothing", () => {
    const file = path.join(dir, "e.jsonl");
    const settings = { modelId: "m", n: 2, sampling: { seed: 0 }, modelFingerprint: "f" };
    const first = openRolloutJournal(file, settings);
    first.append([rec("p", 0)]);
    first.close();
    const settingsFile = `${file}.settings.json`;
    const cases: [string, RegExp][] = [
      ["{}", /lacks the field\(s\) "modelId", "n", "sampling"/],
      ['{"n": 2}', /lacks the field\(s\) "modelId", "sampling", so/],
      ["[]", /expected a JSON object of the job's settings, found an array/],
      ["null", /expected a JSON object of the job's settings, found null/],
      ['"x"', /expected a JSON object of the job's settings, found a string/],
      ["{", /not valid JSON/],
    ];
    const records = readFileSync(file, "utf8");
    for (const [text, why] of cases) {
      writeFileSync(settingsFile, text);
      let message = "";
      try {
        openRolloutJournal(file, settings, { addedLater: ["modelFingerprint"] }).close();
      } catch (e) {
        message = e instanceof Error ? e.message : String(e);
      }
      expect(message).toMatch(why);
      expect(message.startsWith(`${settingsFile}: `)).toBe(true);
      expect(message).toContain("use a new --out, or delete");
      expect(message).not.toContain("\n");
      expect(readFileSync(settingsFile, "utf8")).toBe(text);
      expect(readFileSync(file, "utf8")).toBe(records);
    }
    // A file an older version wrote, without the fields it did not know yet, is taken and brought up to date.
    writeFileSync(settingsFile, JSON.stringify({ modelId: "m", n: 2, sampling: { seed: 0 } }));
    const j = openRolloutJournal(file, settings, { addedLater: ["modelFingerprint"] });
    expect(j.has("p", 0)).toBe(true);
    j.close();
    expect(JSON.parse(readFileSync(settingsFile, "utf8"))).toEqual(settings);
  });
});
