import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/paths.js";
import { parseExportArgs, runExportCli } from "./cli-export-main.js";
import { EXPORT_MANIFEST_FILE } from "./export-target.js";

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "ssb-export-cli-"));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t) },
    out: () => out.join(""),
    err: () => err.join(""),
  };
}

describe("ssb-export-onnx arguments", () => {
  it("parses every option", () => {
    expect(
      parseExportArgs([
        "--model",
        "m",
        "--out",
        "o",
        "--adapter",
        "a",
        "--variant",
        "contrib",
        "--dtype",
        "f32",
        "--external-data",
        "always",
      ]),
    ).toEqual({
      modelDir: "m",
      outDir: "o",
      adapterDir: "a",
      variant: "contrib",
      dtype: "f32",
      externalData: true,
    });
  });

  it("rejects missing and bad options with exit code 2, one line and where the options are", async () => {
    for (const [argv, message] of [
      [["--out", "o"], "--model DIR is required"],
      [["--model", "m"], "--out DIR is required"],
      [
        ["--model", "m", "--out", "o", "--variant", "fast"],
        '--variant must be plain or contrib, found "fast"',
      ],
      [["--model", "m", "--out", "o", "--dtype", "f16"], '--dtype: only f32 is supported, found "f16"'],
      [["--model", "m", "--out", "o", "--bogus"], "unknown option --bogus"],
      [["--modle", "m", "--out", "o"], "unknown option --modle (did you mean --model?)"],
      [["--model", "m", "--out"], "--out needs a value"],
      [["--model", "", "--out", "o"], "--model is empty; give a path"],
      [["--model", "m", "--out="], "--out is empty; give a path"],
      [["--model", "m", "--out", "o", "--adapter", ""], "--adapter is empty; give a path"],
      [["--model", "m", "--out", "o", "--weights", ""], "--weights is empty; give a path"],
      [
        ["--model", "m", "--out", "o", "extra"],
        'unexpected argument "extra": this command takes only --options',
      ],
    ] as const) {
      const c = capture();
      expect(await runExportCli([...argv], c.io)).toBe(2);
      expect(c.err()).toBe(`ssb-export-onnx: ${message}\nRun "ssb-export-onnx --help" for the options.\n`);
    }
  });

  it("refuses a flag given twice, naming it and both values", async () => {
    for (const [argv, message] of [
      [
        ["--model", "m", "--out", "a", "--out", "b"],
        '--out is given more than once ("a", then "b"); give it once',
      ],
      [
        ["--model", "m", "--out", "o", "--variant", "plain", "--variant=contrib"],
        '--variant is given more than once ("plain", then "contrib")',
      ],
    ] as const) {
      const c = capture();
      expect(await runExportCli([...argv], c.io)).toBe(2);
      expect(c.err()).toContain(message);
    }
  });

  it("--help prints the usage", async () => {
    const c = capture();
    expect(await runExportCli(["--help"], c.io)).toBe(0);
    expect(c.out()).toContain("--adapter DIR");
    // --weights takes any path (resolved against --model), and Qwen3 exports too: the help says both.
    expect(c.out()).toContain("or a path relative to it");
    expect(c.out()).toContain("Qwen2 / Qwen3 / Llama");
    expect(c.out()).toContain("new_key_values.{i}.key|value");
  });
});

describe("ssb-export-onnx run", () => {
  it("exports the fixture with a merged adapter", async () => {
    const out = path.join(workDir, "out");
    const c = capture();
    const code = await runExportCli(
      [
        "--model",
        tinyRefDir,
        "--out",
        out,
        "--adapter",
        path.join(tinyRefDir, "lora"),
        "--variant",
        "contrib",
      ],
      c.io,
    );
    expect(code).toBe(0);
    expect(c.out()).toContain("variant contrib");
    expect((await readdir(out)).sort()).toEqual([
      EXPORT_MANIFEST_FILE,
      "config.json",
      "genai_config.json",
      "model.onnx",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
  });

  it("warns on stderr, in one line, when the checkpoint has no tokenizer.json, and names removed files", async () => {
    const bare = path.join(workDir, "bare");
    await mkdir(bare);
    for (const name of ["config.json", "model.safetensors"])
      await copyFile(path.join(tinyRefDir, name), path.join(bare, name));
    const out = path.join(workDir, "bare-out");
    expect(await runExportCli(["--model", tinyRefDir, "--out", out], capture().io)).toBe(0);
    const c = capture();
    expect(await runExportCli(["--model", bare, "--out", out], c.io)).toBe(0);
    const warning = c
      .err()
      .split("\n")
      .filter((line) => line.includes("warning"));
    expect(warning).toHaveLength(1);
    expect(warning[0]).toMatch(/^ssb-export-onnx: warning: .*bare\/tokenizer\.json is missing/);
    expect(c.out()).toContain("removed (left by an earlier export, not in this one): tokenizer.json");
    expect((await readdir(out)).sort()).toEqual([
      EXPORT_MANIFEST_FILE,
      "config.json",
      "genai_config.json",
      "model.onnx",
    ]);
  });

  it("refuses to export into another checkpoint's folder, naming it and the files, and writes nothing", async () => {
    const other = path.join(workDir, "other-checkpoint");
    await mkdir(other);
    for (const name of ["model.safetensors", "tokenizer.json"])
      await copyFile(path.join(tinyRefDir, name), path.join(other, name));
    const config = JSON.parse(await readFile(path.join(tinyRefDir, "config.json"), "utf8"));
    await writeFile(path.join(other, "config.json"), JSON.stringify({ ...config, vocab_size: 768 }));
    const before = (await readdir(other)).sort();
    const c = capture();
    expect(await runExportCli(["--model", tinyRefDir, "--out", other], c.io)).toBe(1);
    expect(c.err()).toBe(
      `ssb-export-onnx: --out ${other} holds another model's files that this export would overwrite: ` +
        "config.json (they differ from --model's, and no earlier export wrote them); nothing was written. " +
        "Pick another --out (an empty folder, or one an earlier export wrote)\n",
    );
    expect((await readdir(other)).sort()).toEqual(before);
    expect(JSON.parse(await readFile(path.join(other, "config.json"), "utf8")).vocab_size).toBe(768);
  });

  it("refuses a second export into the same --out while the first writes, saying so", async () => {
    const out = path.join(workDir, "together");
    const first = capture();
    const second = capture();
    const codes = await Promise.all([
      runExportCli(["--model", tinyRefDir, "--out", out], first.io),
      runExportCli(["--model", tinyRefDir, "--out", out, "--variant", "contrib"], second.io),
    ]);
    // Which one takes the folder first depends on how their reads interleave: one finishes, the other is refused.
    expect([...codes].sort()).toEqual([0, 1]);
    const [winner, loser] = codes[0] === 0 ? [first, second] : [second, first];
    expect(loser.err()).toBe(
      `ssb-export-onnx: --out ${out}: another export (in this process) is writing there; nothing was written. ` +
        "Wait for it to finish, or pick another --out\n",
    );
    expect(winner.out()).toMatch(/variant (plain|contrib)/);
  });

  it("says --out is a file when it names one", async () => {
    const file = path.join(workDir, "config.json");
    await writeFile(file, "{}");
    const c = capture();
    expect(await runExportCli(["--model", tinyRefDir, "--out", file], c.io)).toBe(2);
    expect(c.err()).toBe(`ssb-export-onnx: --out ${file} is a file; give a folder\n`);
  });

  it("says --model / --adapter name a file when they do (exit 2), writing nothing", async () => {
    const weights = path.join(tinyRefDir, "model.safetensors");
    const out = path.join(workDir, "file-given");
    for (const [argv, message] of [
      [
        ["--model", weights, "--out", out],
        `--model ${weights} is a file; give the checkpoint folder that holds config.json`,
      ],
      [
        [
          "--model",
          tinyRefDir,
          "--adapter",
          path.join(tinyRefDir, "lora", "adapter_model.safetensors"),
          "--out",
          out,
        ],
        "is a file; give the adapter folder that holds adapter_config.json and adapter_model.safetensors",
      ],
    ] as const) {
      const c = capture();
      expect(await runExportCli([...argv], c.io)).toBe(2);
      expect(c.err()).toContain(message);
      expect(c.err()).toContain('Run "ssb-export-onnx --help" for the options.');
    }
    await expect(readdir(out)).rejects.toThrow(/ENOENT/);
  });

  it("reports a missing checkpoint with exit code 1 and the file", async () => {
    const c = capture();
    expect(await runExportCli(["--model", path.join(workDir, "nope"), "--out", workDir], c.io)).toBe(1);
    expect(c.err()).toContain(path.join(workDir, "nope", "config.json"));
  });

  it("stopped midway (Ctrl-C), exits 130, says so, and leaves the earlier export as it was", async () => {
    const out = path.join(workDir, "stopped-out");
    expect(await runExportCli(["--model", tinyRefDir, "--out", out], capture().io)).toBe(0);
    const before = await readFile(path.join(out, "model.onnx"));
    const controller = new AbortController();
    const c = capture();
    // Stop as the first weights are written, as a Ctrl-C would: the adapter export would change model.onnx.
    const io = {
      stdout: c.io.stdout,
      stderr: (t: string) => {
        if (t.startsWith("writing weights")) controller.abort(new Error("stopped by SIGINT"));
        c.io.stderr(t);
      },
    };
    const args = ["--model", tinyRefDir, "--out", out, "--adapter", path.join(tinyRefDir, "lora")];
    expect(await runExportCli(args, io, controller.signal)).toBe(130);
    expect(c.err()).toContain(
      `ssb-export-onnx: stopped before the export finished; ${out} holds what it held before`,
    );
    expect(c.out()).toBe("");
    expect(await readFile(path.join(out, "model.onnx"))).toEqual(before);
    expect((await readdir(out)).sort()).toEqual([
      EXPORT_MANIFEST_FILE,
      "config.json",
      "genai_config.json",
      "model.onnx",
      "tokenizer.json",
      "tokenizer_config.json",
    ]);
  });
});
