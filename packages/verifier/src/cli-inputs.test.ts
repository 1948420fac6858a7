/** ssb-verify on the files users bring: made on Windows, by Python's json, by pandas, by `datasets`. */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const cli = fileURLToPath(new URL("../dist/cli.js", import.meta.url));

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function ssbVerify(args: string[]): Promise<Outcome> {
  return run("node", [cli, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: Outcome) => e,
  );
}

const records = [
  { id: "p1", response: "so \\boxed{42}", gold: "42" },
  { id: "p2", response: "so \\boxed{7}", gold: "7" },
];

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "ssb-verify-inputs-"));
});
afterAll(() => {
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

describe("ssb-verify reads the files users bring", () => {
  it("names a Parquet, Arrow or compressed file, with the command that makes JSON Lines of it, and writes no -o file", async () => {
    // Their first bytes; an Arrow stream's NUL bytes were called UTF-16 (with an iconv command), Parquet
    // "not valid JSON (Unexpected token 'P')".
    const cases: [string, Buffer, RegExp][] = [
      [
        "train.parquet",
        Buffer.from("PAR1\x15\x04\x15\x00", "latin1"),
        /: a Parquet file, not JSON Lines .*pyarrow\.parquet\.read_table\('.*train\.parquet'\)/,
      ],
      [
        "shard.arrow",
        Buffer.from("ARROW1\0\0\xff\xff\xff\xff", "latin1"),
        /: an Arrow IPC file .*pyarrow\.ipc\.open_file/,
      ],
      [
        "cache.arrow",
        Buffer.from("\xff\xff\xff\xff\x10\x01\0\0", "latin1"),
        /: an Arrow IPC stream \(the format of Hugging Face datasets' cache files\).*pyarrow\.ipc\.open_stream/,
      ],
      [
        "rows.jsonl.gz",
        Buffer.from("\x1f\x8b\x08\0\0\0\0\0", "latin1"),
        /: a gzip-compressed file, not JSON Lines .*gunzip -k .*rows\.jsonl\.gz$/,
      ],
    ];
    for (const [name, bytes, message] of cases) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const out = join(dir, `${name}.out`);
      const result = await ssbVerify([file, "-o", out]);
      expect(result.code, name).toBe(1);
      expect(result.stderr.trim().split("\n"), name).toEqual([expect.stringMatching(message)]);
      expect(existsSync(out), name).toBe(false);
    }
  });

  it("refuses a UTF-16 file (PowerShell's >) in one sentence naming the encoding, and writes no -o file", async () => {
    const text = `\uFEFF${records.map((r) => JSON.stringify(r)).join("\r\n")}\r\n`;
    for (const [name, bytes] of [
      ["le.jsonl", Buffer.from(text, "utf16le")],
      ["be.jsonl", Buffer.from(text, "utf16le").swap16()],
      ["no-bom.jsonl", Buffer.from(text.slice(1), "utf16le")],
    ] as const) {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      const out = join(dir, `${name}.out`);
      const result = await ssbVerify([file, "-o", out]);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `ssb-verify: ${file}: the file is UTF-16, not UTF-8 (Windows PowerShell's ">" and Out-File write UTF-16); ` +
          `convert it first, e.g. iconv -f UTF-16 -t UTF-8 ${file} > converted.jsonl, or in PowerShell ` +
          `Get-Content ${file} | Set-Content -Encoding utf8 converted.jsonl\n`,
      );
      expect(existsSync(out)).toBe(false);
    }
  });

  it("refuses UTF-16 on standard input too, with commands that name no file", async () => {
    const result = await new Promise<Outcome>((resolve) => {
      const child = execFile("node", [cli], (error, stdout, stderr) =>
        resolve({ code: error ? (error.code as number) : 0, stdout, stderr }),
      );
      child.stdin?.end(Buffer.from(`\uFEFF${JSON.stringify(records[0])}\r\n`, "utf16le"));
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'ssb-verify: <stdin>: the file is UTF-16, not UTF-8 (Windows PowerShell\'s ">" and Out-File write UTF-16); convert it first, e.g. iconv -f UTF-16 -t UTF-8 FILE > converted.jsonl',
    );
  });

  it("names the field Python's json wrote NaN or Infinity in", async () => {
    const file = join(dir, "nan.jsonl");
    writeFileSync(
      file,
      '{"id": "p1", "response": "\\\\boxed{42}", "gold": NaN}\n{"id": "p2", "response": "x", "gold": -Infinity}\n' +
        `${JSON.stringify(records[0])}\n`,
    );
    const result = await ssbVerify([file]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(
      `${file}:1: field "gold" is NaN, which is not JSON (Python's json.dumps writes float nan so; write null or a string, or pass allow_nan=False to find them)`,
    );
    expect(result.stderr).toContain(`${file}:2: field "gold" is -Infinity, which is not JSON`);
  });

  it("grades GSM8K's own lines against the final answer after ####, not the whole worked solution", async () => {
    const file = join(dir, "gsm8k.jsonl");
    const answer = "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n#### 72";
    writeFileSync(
      file,
      `${JSON.stringify({ question: "q", answer, response: "so \\boxed{72}" })}\r\n` +
        `${JSON.stringify({ question: "q", answer, response: "so \\boxed{71}" })}\r\n`,
    );
    const result = await ssbVerify([file, "--gold-field", "answer"]);
    const verdicts = result.stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { verdict: string }).verdict);
    expect(verdicts).toEqual(["correct", "wrong"]);
  });

  it("writes int64 ids back with the digits they came with, and refuses a gold past 2^53 written as a number", async () => {
    const file = join(dir, "int64.jsonl");
    const first =
      '{"id": 12345678901234567890, "response": "\\\\boxed{42}", "gold": "42", "meta": {"row": 9007199254740993}}';
    writeFileSync(
      file,
      `${first}\n{"id": 1, "response": "\\\\boxed{12345678901234567890}", "gold": 12345678901234567890}\n`,
    );
    const result = await ssbVerify([file]);
    expect(result.stdout).toBe(
      `${first.slice(0, -1)},"correct":true,"verdict":"correct","extracted":"42","rule":"boxed","reason":"equivalent"}\n`,
    );
    expect(result.stderr).toContain(
      `${file}:2: field "gold" is a number past 2^53, which JSON readers round (12345678901234567890 reads as 12345678901234567168); write it as a string`,
    );
  });

  it("reads a byte-order mark at the start of any line (files joined with cat carry one at each join)", async () => {
    const file = join(dir, "joined.jsonl");
    writeFileSync(file, records.map((r) => `\uFEFF${JSON.stringify(r)}\r\n`).join(""));
    const result = await ssbVerify(["--strict", file]);
    expect(result.stderr).toContain("2 graded, 2 correct");
  });

  it("says a JSON array or pretty-printed JSON file is not JSON Lines, and how to write JSON Lines", async () => {
    const hint =
      'the file looks like one JSON document, not JSON Lines: write one object per line (pandas: to_json(path, orient="records", lines=True); Python: one json.dumps(row) per line)';
    const array = join(dir, "array.json");
    writeFileSync(array, `${JSON.stringify(records)}\n`);
    const one = await ssbVerify([array]);
    expect(one.code).toBe(1);
    expect(one.stderr).toContain(`${array}:1: expected a JSON object, found an array (${hint})`);
    const pretty = join(dir, "pretty.json");
    writeFileSync(pretty, `${JSON.stringify(records, null, 2)}\n`);
    const many = await ssbVerify([pretty]);
    expect(many.code).toBe(1);
    expect(many.stderr).toBe(`ssb-verify: ${pretty}:1: ${hint}\n`);
  });

  it("points at a field that differs only in case (AIME 2024 on the Hub: ID, Problem, Solution, Answer)", async () => {
    const file = join(dir, "aime-hub.jsonl");
    writeFileSync(
      file,
      `${JSON.stringify({ ID: "2024-I-1", Problem: "p", Solution: "s", Answer: 204, response: "\\boxed{204}" })}\n`,
    );
    const result = await ssbVerify([file, "--gold-field", "answer"]);
    expect(result.stderr).toContain(
      `${file}:1: field "answer" must be a string or number, found nothing (present: ID, Problem, Solution, Answer, response; did you mean "Answer"? names are case-sensitive)`,
    );
  });
});
