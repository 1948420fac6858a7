/**
 * `ssb curate` over rollouts that `ssb rollout` (ssb-rollout) sampled with another system prompt: @ssb/curation
 * refuses to pair them with student messages they were not sampled from, and names the flag that says which
 * prompt they had; `ssb curate` has those flags too (--no-student-system, --student-system-file).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./main.js";
import { captureIo, testModelDir } from "./test-support.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "ssb-cli-student-system-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const onnx = path.join(dir, "onnx");
const problems = path.join(dir, "problems.jsonl");

async function rollouts(name: string, systemArgs: string[]): Promise<string> {
  const out = path.join(dir, `${name}.jsonl`);
  const c = captureIo();
  const code = await main(
    [
      "rollout",
      "--model",
      onnx,
      "--problems",
      problems,
      "--out",
      out,
      "--n",
      "2",
      "--max-new-tokens",
      "24",
      ...systemArgs,
      "--no-progress",
    ],
    c.io,
  );
  expect(code, c.err()).toBe(0);
  return out;
}

describe("ssb curate: the student's system prompt", () => {
  beforeAll(async () => {
    const c = captureIo();
    expect(await main(["export-onnx", "--model", testModelDir(), "--out", onnx], c.io), c.err()).toBe(0);
    writeFileSync(
      problems,
      [
        {
          id: "a",
          question: "Ann has 3 apples and buys 2 more. How many apples does she have?",
          answer: "5",
        },
        { id: "b", question: "Bo has 9 pens and gives away 4. How many pens does he have?", answer: "5" },
      ]
        .map((p) => `${JSON.stringify(p)}\n`)
        .join(""),
    );
  }, 120_000);

  it("rollouts sampled with --no-system are refused by default and curated with --no-student-system", async () => {
    const file = await rollouts("no-system", ["--no-system"]);
    const base = [
      "curate",
      "--model",
      onnx,
      "--problems",
      problems,
      "--rollouts",
      file,
      "--max-new-tokens",
      "24",
    ];
    const refused = captureIo();
    expect(await main([...base, "--out", path.join(dir, "refused")], refused.io)).toBe(1);
    expect(refused.err()).toMatch(/sampled with no system prompt .*pass --no-student-system/);
    const ok = captureIo();
    expect(
      await main([...base, "--no-student-system", "--out", path.join(dir, "none")], ok.io),
      ok.err(),
    ).toBe(0);
    expect(JSON.parse(ok.out())).toMatchObject({ problems: 2 });
  }, 120_000);

  it("rollouts sampled with --system TEXT are curated with --student-system-file (its last line break dropped)", async () => {
    const prompt = "Solve it. Put the answer in \\boxed{}.";
    const file = await rollouts("custom", ["--system", prompt]);
    const promptFile = path.join(dir, "system.txt");
    writeFileSync(promptFile, `${prompt}\n`);
    const base = [
      "curate",
      "--model",
      onnx,
      "--problems",
      problems,
      "--rollouts",
      file,
      "--max-new-tokens",
      "24",
    ];
    const refused = captureIo();
    expect(await main([...base, "--out", path.join(dir, "refused-custom")], refused.io)).toBe(1);
    expect(refused.err()).toMatch(/--student-system-file FILE/);
    const ok = captureIo();
    const out = path.join(dir, "custom-out");
    expect(await main([...base, "--student-system-file", promptFile, "--out", out], ok.io), ok.err()).toBe(0);
    const both = captureIo();
    expect(
      await main(
        [...base, "--student-system-file", promptFile, "--no-student-system", "--out", out],
        both.io,
      ),
    ).toBe(2);
    expect(both.err()).toMatch(/give --student-system-file FILE or --no-student-system, not both/);
    const pairs = readFileSync(path.join(out, "pairs.jsonl"), "utf8").split("\n").filter(Boolean);
    for (const line of pairs)
      expect(JSON.parse(line).studentMessages[0]).toEqual({ role: "system", content: prompt });
  }, 120_000);
});
