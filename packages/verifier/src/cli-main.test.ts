import { Readable, Writable } from "node:stream";
import { UsageError } from "@ssb/cli-kit";
import { describe, expect, it } from "vitest";
import { runCli, type VerifyCliIo, verifyHelp } from "./cli-main.js";

/** runCli's streams, held in memory: stdin from `input`, what it writes kept as text. */
function memoryIo(input = ""): { io: VerifyCliIo; out: () => string; err: () => string } {
  let out = "";
  let err = "";
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString();
      done();
    },
  });
  const stderr = {
    write: (text: string): void => {
      err += text;
    },
  };
  return { io: { stdin: Readable.from([input]), stdout, stderr }, out: () => out, err: () => err };
}

describe("runCli (ssb-verify as a function)", () => {
  it("grades one response given with --response and --gold: exit 0 when correct, 1 when not", async () => {
    const right = memoryIo();
    expect(await runCli(["--response", "so \\boxed{\\frac{1}{2}}", "--gold", "0.5"], right.io)).toBe(0);
    expect(JSON.parse(right.out())).toMatchObject({
      correct: true,
      verdict: "correct",
      extracted: "\\frac{1}{2}",
    });
    const wrong = memoryIo();
    expect(await runCli(["--response", "\\boxed{3}", "--gold", "4"], wrong.io)).toBe(1);
    expect(JSON.parse(wrong.out())).toMatchObject({ correct: false, verdict: "wrong" });
  });

  it("reads an R1-Zero reply's <answer> block, by default and with --rules, and says so in --help", async () => {
    const reply = "<think>\n6*7=42, or 41?\n</think>\n<answer>42</answer>";
    const byDefault = memoryIo();
    expect(await runCli(["--response", reply, "--gold", "42"], byDefault.io)).toBe(0);
    expect(JSON.parse(byDefault.out())).toMatchObject({ correct: true, extracted: "42", rule: "answer-tag" });
    const boxedOnly = memoryIo();
    expect(await runCli(["--response", reply, "--gold", "42", "--rules", "boxed"], boxedOnly.io)).toBe(1);
    expect(JSON.parse(boxedOnly.out())).toMatchObject({ verdict: "no-answer" });
    expect(verifyHelp()).toMatch(/<answer>\.\.\.<\/answer>[\s\S]*rule\s+answer-tag/);
    expect(verifyHelp()).toMatch(
      /default:\s+boxed,gsm8k,final-answer,answer-is,dollar,answer-tag; also: last-number/,
    );
  });

  it("grades a reply by the block its closing tag ends", async () => {
    // The nearest <answer> before </answer> opens the block (not "<answer>42").
    for (const reply of ["<answer>\n<answer>42</answer>"]) {
      const io = memoryIo();
      expect(await runCli(["--response", reply, "--gold", "42"], io.io), reply).toBe(0);
      expect(JSON.parse(io.out())).toMatchObject({ correct: true, extracted: "42", rule: "answer-tag" });
    }
  });

  it("suggests the rule a misspelt --rules name meant", async () => {
    await expect(
      runCli(["--response", "x", "--gold", "1", "--rules", "bxoed"], memoryIo().io),
    ).rejects.toThrow(
      new UsageError(
        '--rules: unknown rule "bxoed", did you mean "boxed"? (known: boxed, gsm8k, final-answer, answer-is, dollar, answer-tag, last-number)',
      ),
    );
    await expect(
      runCli(["--response", "x", "--gold", "1", "--rules", "magic"], memoryIo().io),
    ).rejects.toThrow(
      new UsageError(
        '--rules: unknown rule "magic" (known: boxed, gsm8k, final-answer, answer-is, dollar, answer-tag, last-number)',
      ),
    );
  });

  it("refuses --response without --gold, or with a file to grade as well", async () => {
    await expect(runCli(["--response", "x"], memoryIo().io)).rejects.toThrow(
      new UsageError("--response needs --gold, the answer to grade it against"),
    );
    await expect(runCli(["f.jsonl", "--response", "x", "--gold", "1"], memoryIo().io)).rejects.toThrow(
      /--response grades one response: give no FILE/,
    );
  });

  it("reads standard input and writes to the streams it is given, under the program name it is given", async () => {
    const m = memoryIo('{"id": 12345678901234567891, "response": "\\\\boxed{7}", "gold": "7"}\n');
    expect(await runCli([], m.io, "ssb verify")).toBe(0);
    // The id keeps its digits (JSON.parse would round it to 12345678901234567000).
    expect(m.out()).toMatch(/^\{"id": ?12345678901234567891,/);
    expect(m.err()).toMatch(/^ssb verify: 1 graded, 1 correct/);
    expect(verifyHelp("ssb verify")).toMatch(
      /^ssb verify: grade model responses[\s\S]*Usage: ssb verify \[FILE\]/,
    );
    const empty = memoryIo("\n\n");
    expect(await runCli([], empty.io, "ssb verify")).toBe(1);
    expect(empty.err()).toMatch(/ssb verify: <stdin> is empty/);
  });

  it("refuses a line past 256 MiB (a JSON array on one line) naming the line, instead of an uncaught RangeError", async () => {
    // node:readline threw `RangeError: Invalid string length` from inside the stream once a line passed V8's
    // ~512 MiB string limit, killing the process with a stack trace. One 1 MiB string yielded 257 times, no
    // line break: a line past the limit without the memory to hold it.
    const mib = "x".repeat(1024 * 1024);
    const chunks = function* (): Generator<string> {
      yield '{"response": "\\\\boxed{1}", "gold": "1"}\n';
      for (let i = 0; i < 257; i++) yield mib;
    };
    const io = memoryIo();
    // An input that cannot be read is an Error (the command prints it in one line, exit 1).
    await expect(runCli([], { ...io.io, stdin: Readable.from(chunks()) })).rejects.toThrow(
      /^<stdin>:2: line is longer than 256 MiB; JSON Lines holds one record per line/,
    );
    expect(io.out()).toMatch(/"correct":true/);
  });
});
