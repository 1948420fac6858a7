/**
 * Chat template kwargs (Qwen3's `{"enable_thinking": false}`) in every place rollout renders a prompt: the
 * generator, rollout and teacher-reply jobs (recorded in their settings, pinned on resume), the teacher adapter
 * (its identity), scoring, and the `--chat-template-kwargs` flag. The model is the tiny reference export with
 * Qwen3's generation-prompt logic written into its tokenizer_config.json (plus a second variable, so that key
 * order can differ).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportTinyRef } from "../test/fixtures.js";
import { textSink } from "../test/text-sink.js";
import { runCli } from "./cli-main.js";
import { promptFingerprint } from "./fingerprints.js";
import { Generator } from "./generator.js";
import { runTeacherReplies } from "./run-teacher-replies.js";
import { scoreContinuations } from "./score.js";
import { createTeacherGenerator } from "./teacher-generator.js";

/** ChatML turns, then Qwen3's generation prompt: an empty think block when enable_thinking is false. */
const QWEN3_STYLE_TEMPLATE =
  "{% if note is defined %}{{ '<|im_start|>system\\n' + note + '<|im_end|>\\n' }}{% endif %}" +
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}" +
  "{% if enable_thinking is defined and enable_thinking is false %}{{ '<think>\\n\\n</think>\\n\\n' }}{% endif %}{% endif %}";

const NO_THINKING = { enable_thinking: false };
const EMPTY_THINK = "<|im_start|>assistant\n<think>\n\n</think>\n\n";

let modelDir: string;
let work: string;
let gen: Generator;

beforeAll(async () => {
  modelDir = await exportTinyRef("ssb-rollout-kwargs-");
  const configFile = path.join(modelDir, "tokenizer_config.json");
  const config = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
  writeFileSync(configFile, JSON.stringify({ ...config, chat_template: QWEN3_STYLE_TEMPLATE }));
  work = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-kwargs-"));
  await writeFile(
    path.join(work, "problems.jsonl"),
    '{"id": "a", "question": "1+1?"}\n{"id": "b", "question": "2+2?"}\n',
  );
  gen = await Generator.load(modelDir);
});
afterAll(async () => {
  await gen.close();
  await rm(modelDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

const messages = [{ role: "user", content: "1+1?" }];
const decode = (ids: number[]): string => gen.tokenizer?.decode(ids) ?? "";

/** ssb-rollout over the two problems; its exit code and stderr. */
async function rollout(args: string[]): Promise<{ code: number; err: string }> {
  const err = textSink();
  const code = await runCli(
    [
      "--model",
      modelDir,
      "--problems",
      path.join(work, "problems.jsonl"),
      "--max-new-tokens",
      "4",
      "--no-progress",
      ...args,
    ],
    { out: textSink().stream, err: err.stream },
  );
  return { code, err: err.text() };
}

const settingsText = (out: string): string => readFileSync(`${out}.settings.json`, "utf8");
const settingsOf = (out: string): Record<string, unknown> =>
  JSON.parse(settingsText(out)) as Record<string, unknown>;
const recordsOf = (out: string): { problemId: string; promptHash: string; prompt: typeof messages }[] =>
  readFileSync(out, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { problemId: string; promptHash: string; prompt: typeof messages });

describe("the generator", () => {
  it("renders a prompt with {enable_thinking: false} ending in the empty think block; none or {} as before", () => {
    const plain = gen.encodePrompt({ id: "a", messages });
    const off = gen.encodePrompt({ id: "a", messages, chatTemplateKwargs: NO_THINKING });
    expect(decode(plain).endsWith("<|im_start|>assistant\n")).toBe(true);
    expect(decode(off).endsWith(EMPTY_THINK)).toBe(true);
    expect(off).not.toEqual(plain);
    expect(gen.encodePrompt({ id: "a", messages, chatTemplateKwargs: {} })).toEqual(plain);
    expect(gen.encodePrompt({ id: "a", messages, chatTemplateKwargs: { enable_thinking: true } })).toEqual(
      plain,
    );
  });

  it("takes GenerateOptions.chatTemplateKwargs for prompts without their own", async () => {
    const off = gen.encodePrompt({ id: "a", messages, chatTemplateKwargs: NO_THINKING });
    const sampling = { temperature: 0, maxNewTokens: 3 };
    const lengths: number[] = [];
    for await (const s of gen.generate([{ id: "a", messages }], {
      sampling,
      chatTemplateKwargs: NO_THINKING,
    }))
      lengths.push(s.promptTokens);
    for await (const s of gen.generate([{ id: "a", messages, chatTemplateKwargs: {} }], {
      sampling,
      chatTemplateKwargs: NO_THINKING,
    }))
      lengths.push(s.promptTokens);
    expect(lengths).toEqual([off.length, gen.encodePrompt({ id: "a", messages }).length]);
  });

  it("refuses a kwarg the renderer sets itself, naming the prompt", () => {
    expect(() => gen.encodePrompt({ id: "a", messages, chatTemplateKwargs: { messages: [] } })).toThrow(
      /prompt "a": chatTemplateKwargs.*"messages" is set by the renderer itself/,
    );
  });
});

describe("ssb-rollout --chat-template-kwargs", () => {
  it("renders and records the kwargs; a resume with them reordered or left out goes on, other ones are refused", async () => {
    const out = path.join(work, "kwargs.jsonl");
    const first = await rollout([
      "--out",
      out,
      "--chat-template-kwargs",
      '{"note": "Be brief.", "enable_thinking": false}',
    ]);
    expect(first.code, first.err).toBe(0);
    expect(first.err).not.toMatch(/warning/);
    // Recorded in canonical key order.
    expect(settingsOf(out).chatTemplateKwargs).toEqual({ enable_thinking: false, note: "Be brief." });
    expect(settingsText(out)).toMatch(/"chatTemplateKwargs": \{\n {4}"enable_thinking": false,\n {4}"note"/);
    const [record] = recordsOf(out);
    const ids = gen.encodePrompt({
      id: "a",
      messages: record?.prompt ?? [],
      chatTemplateKwargs: { enable_thinking: false, note: "Be brief." },
    });
    expect(decode(ids)).toMatch(/^<\|im_start\|>system\nBe brief\.<\|im_end\|>/);
    expect(decode(ids).endsWith(EMPTY_THINK)).toBe(true);
    expect(record?.promptHash).toBe(promptFingerprint(ids));

    const reordered = await rollout([
      "--out",
      out,
      "--n",
      "2",
      "--chat-template-kwargs",
      '{"enable_thinking": false, "note": "Be brief."}',
    ]);
    expect(reordered.code, reordered.err).toBe(0);
    expect(reordered.err).toMatch(/2 new, 2 already done, 4\/4 of this job/);
    const left = await rollout(["--out", out, "--n", "3"]);
    expect(left.code, left.err).toBe(0);
    expect(left.err).toMatch(/2 new, 4 already done, 6\/6 of this job/);
    expect(new Set(recordsOf(out).map((r) => `${r.problemId} ${r.promptHash}`)).size).toBe(2);
    // The kwargs stay as first recorded (only n moved on); a refused resume changes nothing.
    expect(settingsOf(out).chatTemplateKwargs).toEqual({ enable_thinking: false, note: "Be brief." });
    const settings = settingsText(out);

    const other = await rollout([
      "--out",
      out,
      "--n",
      "4",
      "--chat-template-kwargs",
      '{"enable_thinking": true}',
    ]);
    expect(other.code).toBe(1);
    expect(other.err).toContain(
      `${out}: its prompts were rendered with chat template kwargs {"enable_thinking":false,"note":"Be brief."} (chatTemplateKwargs in ${out}.settings.json), not {"enable_thinking":true}; to resume, give --chat-template-kwargs '{"enable_thinking":false,"note":"Be brief."}' or leave it out`,
    );
    const none = await rollout(["--out", out, "--n", "4", "--chat-template-kwargs", "{}"]);
    expect(none.code).toBe(1);
    expect(none.err).toMatch(/not none; to resume/);
    expect(settingsText(out)).toBe(settings);
    expect(recordsOf(out)).toHaveLength(6);
  });

  it("records nothing without kwargs (nor for {}), and refuses kwargs on an output rendered without them", async () => {
    const out = path.join(work, "plain.jsonl");
    const first = await rollout(["--out", out]);
    expect(first.code, first.err).toBe(0);
    const settings = settingsText(out);
    expect(settings).not.toMatch(/chatTemplateKwargs/);
    const empty = await rollout(["--out", out, "--chat-template-kwargs", "{}"]);
    expect(empty.code, empty.err).toBe(0);
    expect(settingsText(out)).toBe(settings);
    const given = await rollout([
      "--out",
      out,
      "--n",
      "3",
      "--chat-template-kwargs",
      '{"enable_thinking": false}',
    ]);
    expect(given.code).toBe(1);
    expect(given.err).toContain(
      `${out}: its prompts were rendered without chat template kwargs (${out}.settings.json records none), not {"enable_thinking":false}; to resume, leave --chat-template-kwargs out`,
    );
    expect(settingsText(out)).toBe(settings);
  });

  it("refuses recorded kwargs that are not an object of JSON values (an edited settings file), naming it", async () => {
    const out = path.join(work, "edited.jsonl");
    const first = await rollout(["--out", out, "--chat-template-kwargs", '{"enable_thinking": false}']);
    expect(first.code, first.err).toBe(0);
    writeFileSync(
      `${out}.settings.json`,
      `${JSON.stringify({ ...settingsOf(out), chatTemplateKwargs: "enable_thinking=false" }, null, 2)}\n`,
    );
    const resumed = await rollout(["--out", out]);
    expect(resumed.code).toBe(1);
    expect(resumed.err).toContain(`${out}.settings.json: chatTemplateKwargs`);
    expect(resumed.err).toMatch(/must be a JSON object/);
  });

  it("refuses bad JSON and non-objects naming the flag, before the model loads", async () => {
    const out = path.join(work, "bad.jsonl");
    const bad = await rollout(["--out", out, "--chat-template-kwargs", "{enable_thinking: false}"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^ssb-rollout: --chat-template-kwargs: chat template kwargs are not JSON \(/);
    const list = await rollout(["--out", out, "--chat-template-kwargs", "[1]"]);
    expect(list.code).toBe(2);
    expect(list.err).toMatch(/--chat-template-kwargs: chat template kwargs must be a JSON object/);
  });

  it("warns once when the template never reads a kwarg (a misspelling)", async () => {
    const out = path.join(work, "misspelt.jsonl");
    const run = await rollout(["--out", out, "--chat-template-kwargs", '{"enable_thinkng": false}']);
    expect(run.code, run.err).toBe(0);
    const warnings = run.err.split("\n").filter((l) => l.includes("warning"));
    expect(warnings).toEqual([
      'ssb-rollout: warning: --chat-template-kwargs: the model\'s chat template never reads "enable_thinkng", so they change no prompt (misspelt?)',
    ]);
  });
});

describe("teacher replies and scoring", () => {
  const prompt = (n: number) => ({
    problemId: "q",
    messages,
    requests: Array.from({ length: n }, (_, i) => ({
      id: `q#${i}`,
      sampling: { temperature: 1, topK: 0, maxNewTokens: 4, seed: i },
    })),
  });

  it("a teacher-reply job renders, records and pins the kwargs, and its replies name them", async () => {
    const out = path.join(work, "teacher.jsonl");
    await runTeacherReplies({
      generator: gen,
      prompts: [prompt(1)],
      outFile: out,
      chatTemplateKwargs: NO_THINKING,
      warn: () => {},
    });
    expect(settingsOf(out).chatTemplateKwargs).toEqual(NO_THINKING);
    const off = gen.encodePrompt({ id: "q", messages, chatTemplateKwargs: NO_THINKING });
    const teacher = createTeacherGenerator({ generator: gen, chatTemplateKwargs: NO_THINKING }).identity;
    const [first] = recordsOf(out) as unknown as { promptHash: string; teacher: string }[];
    expect(first?.promptHash).toBe(promptFingerprint(off));
    expect(first?.teacher).toBe(teacher);
    const rest = await runTeacherReplies({
      generator: gen,
      prompts: [prompt(2)],
      outFile: out,
      warn: () => {},
    });
    expect(rest).toMatchObject({ written: 1, skipped: 1 });
    await expect(
      runTeacherReplies({
        generator: gen,
        prompts: [prompt(3)],
        outFile: out,
        chatTemplateKwargs: { enable_thinking: true },
        warn: () => {},
      }),
    ).rejects.toThrow(/rendered with chat template kwargs \{"enable_thinking":false\}/);
  });

  it("ssb-rollout --teacher-prompts takes --chat-template-kwargs", async () => {
    const file = path.join(work, "teacher-prompts.jsonl");
    writeFileSync(file, `${JSON.stringify(prompt(1))}\n`);
    const out = path.join(work, "teacher-cli.jsonl");
    const err = textSink();
    const args = ["--model", modelDir, "--teacher-prompts", file, "--out", out, "--no-progress"];
    const code = await runCli([...args, "--chat-template-kwargs", '{"enable_thinking": false}'], {
      out: textSink().stream,
      err: err.stream,
    });
    expect(code, err.text()).toBe(0);
    expect(settingsOf(out).chatTemplateKwargs).toEqual(NO_THINKING);
    const [reply] = recordsOf(out) as unknown as { promptHash: string; teacher: string }[];
    const off = gen.encodePrompt({ id: "q", messages, chatTemplateKwargs: NO_THINKING });
    expect(reply?.promptHash).toBe(promptFingerprint(off));
    expect(reply?.teacher).toMatch(/; chatTemplateKwargs \{"enable_thinking":false\}$/);
  });

  it("the teacher adapter renders with its kwargs and names them in its identity, only when there are any", async () => {
    const plain = createTeacherGenerator({ generator: gen }).identity;
    expect(createTeacherGenerator({ generator: gen, chatTemplateKwargs: {} }).identity).toBe(plain);
    const teacher = createTeacherGenerator({
      generator: gen,
      chatTemplateKwargs: { note: "x", enable_thinking: false },
    });
    expect(teacher.identity).toBe(`${plain}; chatTemplateKwargs {"enable_thinking":false,"note":"x"}`);
    const sampling = { temperature: 0, topK: 0, maxNewTokens: 6 };
    const greedy = async (tokenIds: number[]): Promise<number[]> => {
      for await (const s of gen.generate([{ id: "r", tokenIds }], { sampling })) return s.tokenIds;
      return [];
    };
    const off = gen.encodePrompt({
      id: "r",
      messages,
      chatTemplateKwargs: { note: "x", enable_thinking: false },
    });
    const replies: number[][] = [];
    for await (const r of teacher.generate([{ id: "r", messages, sampling }], { captureLogits: false }))
      replies.push(r.tokenIds);
    expect(replies).toEqual([await greedy(off)]);
  });

  it("scoreContinuations renders with the request's kwargs, else the options'", async () => {
    const off = gen.encodePrompt({ id: "s", messages, chatTemplateKwargs: NO_THINKING });
    const continuation = [5, 6, 7];
    const logprobs = async (...args: Parameters<typeof scoreContinuations>): Promise<number[]> => {
      const [scored] = await scoreContinuations(...args);
      return [...(scored?.tokenLogprobs ?? [])];
    };
    const byIds = await logprobs(gen, [{ id: "s", promptIds: off, continuation }]);
    expect(
      await logprobs(gen, [{ id: "s", messages, chatTemplateKwargs: NO_THINKING, continuation }]),
    ).toEqual(byIds);
    expect(
      await logprobs(gen, [{ id: "s", messages, continuation }], { chatTemplateKwargs: NO_THINKING }),
    ).toEqual(byIds);
    expect(await logprobs(gen, [{ id: "s", messages, continuation }])).not.toEqual(byIds);
  });
});
