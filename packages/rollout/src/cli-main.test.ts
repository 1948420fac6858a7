import { cpSync, existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportTinyRef } from "../test/fixtures.js";
import { parseCliArgs, runCli } from "./cli-main.js";

let modelDir: string;
let work: string;
beforeAll(async () => {
  modelDir = await exportTinyRef();
  work = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-cli-"));
});
afterAll(async () => {
  await rm(modelDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

function sink() {
  let text = "";
  return {
    stream: {
      write: (s: string) => {
        text += s;
        return true;
      },
      isTTY: false,
    } as unknown as NodeJS.WriteStream,
    text: () => text,
  };
}

describe("ssb-rollout arguments", () => {
  it("parses sampling flags", () => {
    const o = parseCliArgs([
      ...[
        "--model",
        "m",
        "--problems",
        "p",
        "--out",
        "o",
        "--n",
        "4",
        "--temperature",
        "0.7",
        "--top-p",
        "0.9",
      ],
      ...["--stop", "###", "--stop", "\n\n", "--stop-id", "7", "--ep", "auto", "--threads", "2"],
    ]);
    if (o === "help") throw new Error("help");
    expect(o.n).toBe(4);
    expect(o.sampling).toEqual({
      temperature: 0.7,
      topP: 0.9,
      stopStrings: ["###", "\n\n"],
      stopTokenIds: [7],
    });
    expect([o.ep, o.threads]).toEqual(["auto", 2]);
  });

  it("rejects bad flags with a usage message", async () => {
    const err = sink();
    const code = await runCli(["--model", "m", "--problems", "p", "--out", "o", "--n", "zero"], {
      out: sink().stream,
      err: err.stream,
    });
    expect(code).toBe(2);
    expect(err.text()).toMatch(/--n: expected an integer >= 1, found "zero"/);
    expect(() => parseCliArgs(["--model", "m", "--problems", "p", "--out", "o", "--ep", "tpu"])).toThrow(
      /--ep must be/,
    );
    const base = ["--model", "m", "--problems", "p", "--out", "o"];
    const cases: [string[], RegExp][] = [
      [["--top-p", "1.5"], /--top-p: expected a number > 0 and <= 1, found "1.5"/],
      [["--top-p", "0"], /--top-p: expected a number > 0 and <= 1/],
      [["--min-p", "2"], /--min-p: expected a number >= 0 and <= 1/],
      [["--repetition-penalty", "0"], /--repetition-penalty: expected a number > 0/],
      [["--n", "0x2"], /--n: expected an integer >= 1, found "0x2"/],
      [["--n", "1e2"], /--n: expected an integer >= 1, found "1e2"/],
      [["--seed", "1e3"], /--seed: expected an integer >= 0/],
      [["--stop="], /--stop: expected a non-empty string/],
    ];
    for (const [flags, message] of cases) expect(() => parseCliArgs([...base, ...flags])).toThrow(message);
    const ok = parseCliArgs([...base, "--temperature", ".5", "--min-p", "1e-2"]);
    expect(ok !== "help" && ok.sampling).toEqual({ temperature: 0.5, minP: 0.01 });
  });

  it("names the file and line of a bad problem", async () => {
    const problems = path.join(work, "bad.jsonl");
    await writeFile(problems, '{"id": "a", "question": "q"}\n{"id": "b"}\n');
    const err = sink();
    const code = await runCli(
      ["--model", modelDir, "--problems", problems, "--out", path.join(work, "x.jsonl")],
      {
        out: sink().stream,
        err: err.stream,
      },
    );
    expect(code).toBe(1);
    expect(err.text()).toMatch(/bad\.jsonl:2: needs "question"/);
  });

  it("runs a job and resumes it", async () => {
    const problems = path.join(work, "p.jsonl");
    await writeFile(problems, '{"id": "a", "question": "1+1?"}\n{"id": "b", "question": "2+2?"}\n');
    const out = path.join(work, "out.jsonl");
    const args = [
      "--model",
      modelDir,
      "--problems",
      problems,
      "--out",
      out,
      "--n",
      "3",
      "--max-new-tokens",
      "8",
    ];
    const err = sink();
    expect(await runCli(args, { out: sink().stream, err: err.stream })).toBe(0);
    expect(err.text()).toMatch(/6 new, 0 already done, 6\/6 of this job/);
    const lines = readFileSync(out, "utf8").split("\n").filter(Boolean);
    expect(lines).toHaveLength(6);
    const first = JSON.parse(lines[0] as string);
    expect(first.prompt).toEqual([{ role: "user", content: expect.any(String) }]);
    const again = sink();
    expect(await runCli(args, { out: sink().stream, err: again.stream })).toBe(0);
    expect(again.text()).toMatch(/0 new, 6 already done/);
    // Another system prompt is another job: refused, naming the record it would have mixed with.
    const other = sink();
    expect(await runCli([...args, "--system", "Be brief."], { out: sink().stream, err: other.stream })).toBe(
      1,
    );
    expect(other.text()).toMatch(/out\.jsonl:1: problem "a" was sampled from another prompt/);
    // More samples per problem extend the job; a smaller --limit counts only its own pairs.
    const more = sink();
    expect(
      await runCli([...args.slice(0, -4), "--n", "4", "--max-new-tokens", "8", "--limit", "1"], {
        out: sink().stream,
        err: more.stream,
      }),
    ).toBe(0);
    expect(more.text()).toMatch(/1 new, 3 already done, 4\/4 of this job/);
  });

  it("takes sampling defaults from generation_config.json when asked, with flags over them", async () => {
    const dir = await mkdtemp(path.join(work, "genconfig-"));
    cpSync(modelDir, dir, { recursive: true });
    const config = { do_sample: true, temperature: 0.6, top_k: 20, top_p: 0.8, repetition_penalty: 1.05 };
    await writeFile(path.join(dir, "generation_config.json"), JSON.stringify(config));
    const problems = path.join(work, "g.jsonl");
    await writeFile(problems, '{"id": "a", "question": "1+1?"}\n');
    const run = async (out: string, extra: string[]) => {
      const args = ["--model", dir, "--problems", problems, "--out", out, "--max-new-tokens", "4", ...extra];
      expect(await runCli(args, { out: sink().stream, err: sink().stream })).toBe(0);
      return JSON.parse(readFileSync(`${out}.settings.json`, "utf8")).sampling;
    };
    expect(await run(path.join(work, "g1.jsonl"), ["--generation-config", "--top-k", "30"])).toMatchObject({
      temperature: 0.6,
      topK: 30,
      topP: 0.8,
      repetitionPenalty: 1.05,
      maxNewTokens: 4,
    });
    // Without the flag the job's settings are the package's defaults.
    expect(await run(path.join(work, "g2.jsonl"), [])).toMatchObject({ temperature: 1, topK: 0, topP: 1 });
    await writeFile(path.join(dir, "generation_config.json"), JSON.stringify({ do_sample: false }));
    expect(await run(path.join(work, "g3.jsonl"), ["--generation-config"])).toMatchObject({ temperature: 0 });
  });

  it("fails cleanly on a file that is not an ONNX model and on an output that is a folder", async () => {
    const problems = path.join(work, "q.jsonl");
    await writeFile(problems, '{"id": "a", "question": "1+1?"}\n');
    const broken = await mkdtemp(path.join(work, "broken-"));
    await writeFile(path.join(broken, "model.onnx"), "not a protobuf at all");
    const err = sink();
    const code = await runCli(
      ["--model", broken, "--problems", problems, "--out", path.join(work, "y.jsonl")],
      {
        out: sink().stream,
        err: err.stream,
      },
    );
    expect(code).toBe(1);
    expect(err.text()).toMatch(/model\.onnx: .*ONNX/);
    const folder = sink();
    const args = ["--model", modelDir, "--problems", problems, "--out", work];
    expect(await runCli(args, { out: sink().stream, err: folder.stream })).toBe(1);
    expect(folder.text()).toMatch(/cannot open the rollout output/);
  });

  it("refuses a --capture-logits path that is a file, naming the flag, before anything is written", async () => {
    const problems = path.join(work, "cap-file.jsonl");
    await writeFile(problems, '{"id": "a", "question": "1+1?"}\n');
    const file = path.join(work, "logits-file");
    await writeFile(file, "not a folder");
    const out = path.join(work, "cap-file-out.jsonl");
    for (const [dir, why] of [
      [file, /--capture-logits .*logits-file: is a file, not a folder/],
      [
        path.join(file, "sub"),
        /--capture-logits .*logits-file\/sub: lies under .*logits-file, which is a file/,
      ],
    ] as const) {
      const err = sink();
      const args = ["--model", modelDir, "--problems", problems, "--out", out, "--capture-logits", dir];
      expect(await runCli(args, { out: sink().stream, err: err.stream })).toBe(1);
      expect(err.text()).toMatch(why);
    }
    expect(readFileSync(file, "utf8")).toBe("not a folder");
    expect(existsSync(out) || existsSync(`${out}.settings.json`)).toBe(false);
  });
});
