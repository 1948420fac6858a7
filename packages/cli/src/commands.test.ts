import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { EXPORT_LOCK_FILE } from "@ssb/model";
import { afterAll, describe, expect, it } from "vitest";
import { distillSettings, rolloutCommand } from "./commands.js";
import { DEFAULT_CONFIG } from "./default-config.js";
import { main } from "./main.js";
import { trainConfigOf } from "./stage-distill.js";
import { captureIo, testModelDir } from "./test-support.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "ssb-cli-commands-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("ssb subcommands", () => {
  it("verify is ssb-verify under this name: ids keep their digits, an empty or UTF-16 file is refused", async () => {
    const file = path.join(dir, "big-ids.jsonl");
    writeFileSync(file, '{"id": 9007199254740993, "response": "\\\\boxed{5}", "gold": "5"}\n');
    const c = captureIo();
    expect(await main(["verify", file], c.io)).toBe(0);
    expect(c.out()).toMatch(/"id": ?9007199254740993,/);
    expect(c.err()).toMatch(/ssb verify: 1 graded, 1 correct/);
    const empty = path.join(dir, "empty.jsonl");
    writeFileSync(empty, "\n");
    const e = captureIo();
    expect(await main(["verify", empty], e.io)).toBe(1);
    expect(e.err()).toMatch(/empty\.jsonl is empty \(no non-blank lines\): nothing was graded/);
    const utf16 = path.join(dir, "utf16.jsonl");
    writeFileSync(utf16, Buffer.from('\uFEFF{"response": "\\\\boxed{1}", "gold": "1"}\n', "utf16le"));
    const u = captureIo();
    expect(await main(["verify", utf16], u.io)).toBe(1);
    expect(u.err()).toMatch(/UTF-16/);
    const h = captureIo();
    expect(await main(["verify", "--help"], h.io)).toBe(0);
    expect(h.out()).toMatch(/Usage: ssb verify \[FILE\] \[options\]/);
  });

  it("verify grades one response, or a JSONL file", async () => {
    const c = captureIo();
    expect(await main(["verify", "--response", "so the total is \\boxed{18.00}", "--gold", "18"], c.io)).toBe(
      0,
    );
    expect(JSON.parse(c.out())).toMatchObject({ correct: true, extracted: "18.00" });
    const file = path.join(dir, "r.jsonl");
    writeFileSync(
      file,
      '{"response":"\\\\boxed{3}","gold":"4"}\n{"response":"\\\\boxed{1/2}","gold":"0.5"}\n',
    );
    const d = captureIo();
    expect(await main(["verify", file], d.io)).toBe(0);
    expect(
      d
        .out()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).correct),
    ).toEqual([false, true]);
  });

  it("export-onnx writes an ONNX decoder beside the config and tokenizer", async () => {
    const c = captureIo();
    const out = path.join(dir, "onnx");
    expect(await main(["export-onnx", "--model", testModelDir(), "--out", out], c.io)).toBe(0);
    expect(existsSync(path.join(out, "model.onnx"))).toBe(true);
    expect(existsSync(path.join(out, "tokenizer.json"))).toBe(true);
    // It said only {"files": [config and tokenizer names], "seconds"}: not the model it wrote, nor its size.
    const summary = JSON.parse(c.out());
    expect(summary.files[0]).toEqual({
      name: "model.onnx",
      bytes: statSync(path.join(out, "model.onnx")).size,
    });
    expect(summary.files.map((f: { name: string }) => f.name)).toEqual(
      expect.arrayContaining(["tokenizer.json", "config.json", "genai_config.json"]),
    );
    expect(summary).toMatchObject({
      layers: expect.any(Number),
      variant: "plain",
      nodes: expect.any(Number),
    });
    expect(c.err()).toMatch(/^export-onnx: .* -> /m);
    expect(c.err()).toMatch(/model\.onnx \(\d+\.\d MB\)\n.*, \d+ layers, variant plain, \d+ nodes/);
  });

  it("export-onnx takes ssb-export-onnx's --external-data, --weights and --dtype", async () => {
    const c = captureIo();
    const out = path.join(dir, "onnx-external");
    const args = ["export-onnx", "--model", testModelDir(), "--out", out, "--external-data", "always"];
    expect(await main([...args, "--weights", "model.safetensors", "--dtype", "f32"], c.io)).toBe(0);
    const summary = JSON.parse(c.out());
    expect(summary.files[1]).toEqual({
      name: "model.onnx.data",
      bytes: statSync(path.join(out, "model.onnx.data")).size,
    });
    expect(c.err()).toMatch(/external data model\.onnx\.data \d+\.\d MB/);
    const bad = captureIo();
    expect(await main([...args.slice(0, 5), "--external-data", "sometimes"], bad.io)).toBe(2);
    expect(bad.err()).toMatch(/--external-data: auto, always or never, got "sometimes"/);
    const f16 = captureIo();
    expect(await main([...args.slice(0, 5), "--dtype", "f16"], f16.io)).toBe(2);
    expect(f16.err()).toMatch(/--dtype: only f32 is supported/);
  });

  it("export-onnx words the model package's refusals of --out with its own flags, writing nothing", async () => {
    const asFile = path.join(dir, "out-file");
    writeFileSync(asFile, "not a folder");
    const busy = path.join(dir, "out-busy");
    mkdirSync(busy);
    writeFileSync(path.join(busy, EXPORT_LOCK_FILE), String(process.ppid)); // a live process holds it
    const other = path.join(dir, "out-other");
    mkdirSync(other);
    writeFileSync(path.join(other, "config.json"), '{"model_type": "another"}\n');
    const cases: [string, number, string][] = [
      [
        asFile,
        2,
        `ssb: --out ${asFile} is a file; give a folder\nRun "ssb export-onnx --help" for the options.\n`,
      ],
      [
        busy,
        1,
        `ssb: --out ${busy}: another export (pid ${process.ppid}) is writing there; nothing was written. ` +
          "Wait for it to finish, or pick another --out\n",
      ],
      [
        other,
        1,
        `ssb: --out ${other} holds another model's files that this export would overwrite: config.json (they ` +
          "differ from --model's, and no earlier export wrote them); nothing was written. Pick another --out " +
          "(an empty folder, or one an earlier export wrote)\n",
      ],
    ];
    for (const [out, code, message] of cases) {
      const c = captureIo();
      expect(await main(["export-onnx", "--model", testModelDir(), "--out", out], c.io), out).toBe(code);
      expect(c.err()).toBe(message);
    }
    expect(readdirSync(other)).toEqual(["config.json"]);
  });

  it("names a distill --config value that is not a finite number as written, with its line", async () => {
    const settings = path.join(dir, "distill.yaml");
    writeFileSync(settings, "epochs: 1\noptimizer:\n  lr: .inf\n");
    const c = captureIo();
    const argv = [
      "distill",
      "--model",
      testModelDir(),
      "--pairs",
      settings,
      "--logits",
      dir,
      "--out",
      path.join(dir, "d"),
    ];
    expect(await main([...argv, "--config", settings], c.io)).toBe(1);
    expect(c.err()).toBe(
      `ssb: ${settings}:3:7: field "optimizer.lr": expected a finite number (found .inf)\n`,
    );
    // Every problem, each with its line, not only @ssb/distill's first.
    writeFileSync(settings, "epoch: 1\nlora: { r: 0 }\n");
    const d = captureIo();
    expect(await main([...argv, "--config", settings], d.io)).toBe(1);
    expect(d.err()).toBe(
      `ssb: ${settings}:1:1: unknown field "epoch"; line 2:12: field "lora.r": must be an integer >= 1 (found 0)\n`,
    );
  });

  it("shows the defaults in --help, which are ssb run's (ssb distill is seeded as the run's distill stage)", async () => {
    const c = captureIo();
    expect(await main(["curate", "--help"], c.io)).toBe(0);
    expect(c.out()).toMatch(/--seed N +20261127\n/);
    expect(c.out()).toMatch(/--max-new-tokens N +160 \(tokens per teacher reply\)\n/);
    expect(c.out()).toMatch(/--temperature T +0\.4 /);
    expect(c.out()).toMatch(
      /ssb-curate, the package's own command, starts from seed 0 and leaves the reply cap to the generator, 256\ntokens for ssb-rollout --teacher-prompts/,
    );
    const d = captureIo();
    expect(await main(["distill", "--help"], d.io)).toBe(0);
    expect(d.out()).toMatch(/--seed N +20261127 /);
    expect(distillSettings({})).toEqual(trainConfigOf(DEFAULT_CONFIG));
    expect(distillSettings({ seed: "3" }).seed).toBe(3);
    const e = captureIo();
    expect(await main(["eval", "--help"], e.io)).toBe(0);
    expect(e.out()).toMatch(/--max-new-tokens N +160\n/);
  });

  it("passes --chat-template-kwargs '{}' on as an explicit none, which @ssb/distill refuses on a resume of kwargs", () => {
    // Dropped here, a resume given '{}' kept the recorded kwargs, where ssb-distill's own flag refuses it.
    expect(distillSettings({ "chat-template-kwargs": "{}" }).chatTemplateKwargs).toEqual({});
    expect(
      distillSettings({ "chat-template-kwargs": '{"enable_thinking": false}' }).chatTemplateKwargs,
    ).toEqual({
      enable_thinking: false,
    });
    expect(distillSettings({}).chatTemplateKwargs).toBeUndefined();
  });

  it("reports usage errors with exit code 2", async () => {
    const c = captureIo();
    expect(await main(["distill", "--pairs", "x"], c.io)).toBe(2);
    expect(c.err()).toMatch(/--model is required/);
    expect(await main(["nope"], c.io)).toBe(2);
  });

  it("words every subcommand's flag mistakes in one line, with a suggestion and the command's --help (exit 2)", async () => {
    const missing = path.join(dir, "missing.yaml");
    const cases: [string[], string][] = [
      // Node's own message advised placing "a positional argument starting with a '-'" at the end.
      [["run", "quick.yaml", "--form", "curate"], "unknown option --form (did you mean --from?)"],
      [["run", "--from"], "--from needs a value"],
      [["run", "--json=yes"], "--json is a switch and takes no value"],
      [["run", missing], `${missing}: no such file`],
      [["curate", "--seeed", "1"], "unknown option --seeed (did you mean --seed?)"],
      [["curate", "--seed", "-1"], '--seed -1: a value that starts with "-" is written --seed=-1'],
      [["curate", "stray"], 'unexpected argument "stray": this command takes only --options'],
      [["distill", "--epoch", "2"], "unknown option --epoch (did you mean --epochs?)"],
      [["eval", "--sample", "2"], "unknown option --sample (did you mean --samples?)"],
      [["verify", "--respons", "x"], "unknown option --respons (did you mean --response?)"],
      [["verify", missing], `${missing}: no such file`],
      [["export-onnx", "--adaptor", "x"], "unknown option --adaptor (did you mean --adapter?)"],
      // A flag's value out of range is named by the flag, not by a config field the user never wrote.
      [["curate", "--temperature=-1"], "--temperature -1: Number must be greater than or equal to 0"],
      [["eval", "--samples", "0"], "--samples 0: Number must be greater than or equal to 1"],
      [
        ["distill", "--lr=-1", "--epochs", "1.5"],
        "--lr -1: must be a finite number >= 0; --epochs 1.5: must be an integer >= 1",
      ],
    ];
    for (const [argv, message] of cases) {
      const c = captureIo();
      expect(await main(argv, c.io), argv.join(" ")).toBe(2);
      expect(c.err()).toBe(`ssb: ${message}\nRun "ssb ${argv[0]} --help" for the options.\n`);
    }
  });

  it("rollout is ssb-rollout's CLI under its own name: the help and a mistake say `ssb rollout`", async () => {
    const c = captureIo();
    const err = { write: (text: string) => c.io.stderr.write(text) } as unknown as NodeJS.WriteStream;
    const run = (argv: string[]) =>
      rolloutCommand(argv, { out: err, err }).then((code) => ({ code, text: c.err() }));
    const typo = await run(["--temprature", "0.5"]);
    expect(typo.code).toBe(2);
    // A user who installed only the ssb CLI may have no ssb-rollout on the PATH to ask for --help.
    expect(typo.text).toBe(
      'ssb rollout: unknown option --temprature (did you mean --temperature?)\nRun "ssb rollout --help" for the options.\n',
    );
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.text).toContain("Usage: ssb rollout --model DIR --problems FILE --out FILE [options]");
    expect(help.text).not.toContain("ssb-rollout");
  });

  it("refuses a flag given twice and a number that is not written as one, naming the flag", async () => {
    const out = path.join(dir, "never-written");
    const cases: [string[], RegExp][] = [
      [
        ["run", "--work", "a", "--work", "b"],
        /--work is given more than once \("a", then "b"\); give it once/,
      ],
      [["curate", "--seed", "1", "--seed=2"], /--seed is given more than once \("1", then "2"\)/],
      [["distill", "--lr", "1e-4", "--lr", "2e-4"], /--lr is given more than once/],
      [["eval", "--samples", "4", "--samples", "8"], /--samples is given more than once/],
      [["export-onnx", "--out", "a", "--out", "b"], /--out is given more than once/],
      [["verify", "--gold", "1", "--gold", "2"], /--gold is given more than once/],
      // Number("") and Number(" ") are 0, Number("0x10") is 16: none of them is what was meant.
      [["curate", "--temperature", "", "--out", out], /--temperature: expected a number, got ""/],
      [["eval", "--seed", "0x10", "--out", out], /--seed: expected a number, got "0x10"/],
      [["distill", "--epochs", " ", "--out", out], /--epochs: expected a number, got " "/],
      [
        ["curate", "--template-date", "2024-02-30", "--out", out],
        /--template-date: expected a date as YYYY-MM-DD/,
      ],
      [
        ["curate", "--chat-template-kwargs", "enable_thinking=false", "--out", out],
        /--chat-template-kwargs: chat template kwargs are not JSON/,
      ],
      [
        ["eval", "--chat-template-kwargs", '{"messages": []}', "--out", out],
        /--chat-template-kwargs: chat template kwarg "messages" is set by the renderer/,
      ],
      [["distill", "--chat-template-kwargs", "[1]", "--out", out], /--chat-template-kwargs: .*JSON object/],
      [
        ["curate", "--answer-rules", "boxed,anwser-tag", "--out", out],
        /--answer-rules.*did you mean "answer-tag"/s,
      ],
    ];
    for (const [argv, message] of cases) {
      const c = captureIo();
      expect(await main(argv, c.io), argv.join(" ")).toBe(2);
      expect(c.err()).toMatch(message);
    }
    expect(existsSync(out)).toBe(false);
  });

  it("eval reads GSM8K's own lines as ssb run does: the line number is the id, the gold what follows ####", async () => {
    // @ssb/eval's held-out spec reads {id, question, answer} as written: such a file was refused for its
    // missing id, and with ids the whole solution ("... #### 18") was the gold, so no answer could be right.
    const problems = path.join(dir, "gsm8k-lines.jsonl");
    writeFileSync(
      problems,
      [
        {
          question: "Tom has 3 apples and buys 15 more. How many apples does he have?",
          answer: "3 + 15 = <<3+15=18>>18\n#### 18",
        },
        {
          question: "A box holds 6 eggs. How many eggs are in 2 boxes?",
          answer: "6 * 2 = <<6*2=12>>12\n#### 12",
        },
      ]
        .map((p) => `${JSON.stringify(p)}\n`)
        .join(""),
    );
    const out = path.join(dir, "eval-gsm8k");
    const argv = [
      "eval",
      "--model",
      "default",
      "--problems",
      problems,
      "--out",
      out,
      "--max-new-tokens",
      "4",
    ];
    const c = captureIo();
    expect(await main(argv, c.io), c.err()).toBe(0);
    const records = readFileSync(path.join(out, "base", "records.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { problemId: string; gold: string });
    expect(records.map((r) => [r.problemId, r.gold])).toEqual([
      ["1", "18"],
      ["2", "12"],
    ]);
    // Rerun: resumes. Another file on the same --out: refused, the problems the runs were made on kept.
    const written = readFileSync(path.join(out, "problems.jsonl"), "utf8");
    expect(await main(argv, captureIo().io)).toBe(0);
    writeFileSync(problems, readFileSync(problems, "utf8").replace("15 more", "16 more"));
    const d = captureIo();
    expect(await main(argv, d.io)).toBe(1);
    expect(d.err()).toMatch(/problems\.jsonl: --out holds an evaluation of other problems than --problems/);
    expect(readFileSync(path.join(out, "problems.jsonl"), "utf8")).toBe(written);
  });

  it("names a path flag that is a folder where a file is expected, or the reverse, before loading anything", async () => {
    const pairs = path.join(dir, "pairs.jsonl");
    writeFileSync(pairs, "");
    const args = ["distill", "--model", testModelDir(), "--logits", dir, "--out", path.join(dir, "o")];
    const cases: [string[], RegExp][] = [
      [[...args, "--pairs", dir], /--pairs .*: is a folder, expected a file/],
      [[...args, "--pairs", pairs, "--config", dir], /--config .*: is a folder, expected a file/],
      [
        [...args.slice(0, 3), "--logits", pairs, "--out", dir, "--pairs", pairs],
        /--logits .*: is a file, expected a folder/,
      ],
      [["curate", "--config", path.join(dir, "missing.yaml")], /--config .*missing\.yaml: no such file/],
      // A missing adapter once evaluated the base model twice, as base and "student".
      [
        [
          "eval",
          "--model",
          "default",
          "--adapter",
          path.join(dir, "nope"),
          "--problems",
          pairs,
          "--out",
          path.join(dir, "o"),
        ],
        /--adapter .*nope: no such folder/,
      ],
    ];
    for (const [argv, message] of cases) {
      const c = captureIo();
      expect(await main(argv, c.io), c.err()).toBe(2);
      expect(c.err()).toMatch(message);
    }
    expect(existsSync(path.join(dir, "o"))).toBe(false);
  });
});
