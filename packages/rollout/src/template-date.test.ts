/**
 * A chat template that writes the date into its prompts (Llama 3.1 / 3.2-Instruct: `strftime_now("%d %b %Y")`,
 * local time): a job pins the day at its first start, so a resume after local midnight renders the same
 * prompts. The model is the tiny reference export with such a template written into its tokenizer_config.json;
 * the day is moved by the time zone (process.env.TZ: Node reads it again when it is set), which is what a
 * resume on the next day looks like to the template.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseTemplateDate } from "@ssb/model";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { exportTinyRef } from "../test/fixtures.js";
import { textSink } from "../test/text-sink.js";
import { runCli } from "./cli-main.js";
import { promptFingerprint } from "./fingerprints.js";
import { Generator } from "./generator.js";
import { runTeacherReplies } from "./run-teacher-replies.js";
import { scoreContinuations } from "./score.js";
import { createTeacherGenerator } from "./teacher-generator.js";

/** Llama 3.x's date line, in the tiny reference's ChatML turns. */
const DATED_TEMPLATE =
  "{{ '<|im_start|>system\\nToday Date: ' + strftime_now('%d %b %Y') + '<|im_end|>\\n' }}" +
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

// UTC-12 and UTC+14 are 26 hours apart: never the same calendar day.
const WEST = "Etc/GMT+12";
const EAST = "Etc/GMT-14";
const dayIn = (offsetHours: number): string =>
  new Date(Date.now() + offsetHours * 3_600_000).toISOString().slice(0, 10);

let qwenDir: string;
let datedDir: string;
let work: string;
const tz = process.env.TZ;

beforeAll(async () => {
  qwenDir = await exportTinyRef("ssb-rollout-date-qwen-");
  datedDir = await exportTinyRef("ssb-rollout-date-llama-");
  const configFile = path.join(datedDir, "tokenizer_config.json");
  const config = JSON.parse(readFileSync(configFile, "utf8")) as Record<string, unknown>;
  writeFileSync(configFile, JSON.stringify({ ...config, chat_template: DATED_TEMPLATE }));
  work = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-date-"));
  await writeFile(
    path.join(work, "problems.jsonl"),
    '{"id": "a", "question": "1+1?"}\n{"id": "b", "question": "2+2?"}\n',
  );
});
afterEach(() => {
  if (tz === undefined) delete process.env.TZ;
  else process.env.TZ = tz;
});
afterAll(async () => {
  await rm(qwenDir, { recursive: true, force: true });
  await rm(datedDir, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

/** ssb-rollout in time zone `zone`; its exit code and stderr. */
async function rollout(zone: string, args: string[]): Promise<{ code: number; err: string }> {
  process.env.TZ = zone;
  const err = textSink();
  const code = await runCli(
    ["--problems", path.join(work, "problems.jsonl"), "--max-new-tokens", "4", "--no-progress", ...args],
    { out: textSink().stream, err: err.stream },
  );
  return { code, err: err.text() };
}

const settingsOf = (out: string): Record<string, unknown> =>
  JSON.parse(readFileSync(`${out}.settings.json`, "utf8")) as Record<string, unknown>;
const recordsOf = (out: string): { promptHash: string }[] =>
  readFileSync(out, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { promptHash: string });

describe("a chat template that reads the date", () => {
  it("a job resumed on the next local day renders the prompts of its first day", async () => {
    const out = path.join(work, "resumed.jsonl");
    const first = await rollout(WEST, ["--model", datedDir, "--out", out, "--n", "1"]);
    expect(first.code, first.err).toBe(0);
    expect(settingsOf(out).templateDate).toBe(dayIn(-12));
    // The next day (26 hours east): before the fix, "problem "a" was sampled from another prompt".
    const second = await rollout(EAST, ["--model", datedDir, "--out", out, "--n", "2"]);
    expect(second.err).not.toMatch(/another prompt/);
    expect(second.code, second.err).toBe(0);
    expect(second.err).toMatch(/2 new, 2 already done, 4\/4 of this job/);
    expect(settingsOf(out).templateDate).toBe(dayIn(-12));
    const hashes = recordsOf(out).map((r) => r.promptHash);
    expect(hashes).toHaveLength(4);
    expect(new Set(hashes).size).toBe(2); // one prompt per problem, whichever day its samples were drawn
  });

  it("renders the given --template-date, and refuses another day than the recorded one", async () => {
    const out = path.join(work, "given.jsonl");
    const first = await rollout(WEST, ["--model", datedDir, "--out", out, "--template-date", "2024-07-26"]);
    expect(first.code, first.err).toBe(0);
    expect(settingsOf(out).templateDate).toBe("2024-07-26");
    const gen = await Generator.load(datedDir);
    try {
      const messages = promptOf(out);
      const ids = gen.encodePrompt({ id: "a", messages, now: parseTemplateDate("2024-07-26", "test") });
      expect(gen.tokenizer?.decode(ids)).toContain("Today Date: 26 Jul 2024");
      expect(recordsOf(out)[0]?.promptHash).toBe(promptFingerprint(ids));
      expect(gen.templateReadsDate).toBe(true);
    } finally {
      await gen.close();
    }
    const settings = readFileSync(`${out}.settings.json`, "utf8");
    const other = await rollout(EAST, [
      "--model",
      datedDir,
      "--out",
      out,
      "--n",
      "2",
      "--template-date",
      "2024-07-27",
    ]);
    expect(other.code).toBe(1);
    expect(other.err).toMatch(
      /rendered with the chat template's date 2024-07-26 \(templateDate in .*given\.jsonl\.settings\.json\), not 2024-07-27; to resume, give --template-date 2024-07-26 or leave it out/,
    );
    expect(readFileSync(`${out}.settings.json`, "utf8")).toBe(settings);
    // Leaving it out resumes with the recorded day.
    const resumed = await rollout(EAST, ["--model", datedDir, "--out", out, "--n", "2"]);
    expect(resumed.code, resumed.err).toBe(0);
    const bad = await rollout(EAST, ["--model", datedDir, "--out", out, "--template-date", "2024-7-26"]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--template-date: expected a date as YYYY-MM-DD/);
  });

  it("an output written before days were pinned gets today's, said on stderr", async () => {
    const out = path.join(work, "old.jsonl");
    const first = await rollout(WEST, ["--model", datedDir, "--out", out]);
    expect(first.code, first.err).toBe(0);
    const { templateDate: _, ...old } = settingsOf(out);
    writeFileSync(`${out}.settings.json`, `${JSON.stringify(old, null, 2)}\n`);
    const resumed = await rollout(WEST, ["--model", datedDir, "--out", out, "--n", "2"]);
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.err).toMatch(
      /note: .*old\.jsonl\.settings\.json records no template date .* this run pins \d{4}-\d\d-\d\d and records it/,
    );
    expect(settingsOf(out).templateDate).toBe(dayIn(-12));
    // Resumed on the next day, the prompts differ: the refusal says which day to give, and that day resumes.
    const older = path.join(work, "older.jsonl");
    expect((await rollout(WEST, ["--model", datedDir, "--out", older])).code).toBe(0);
    const { templateDate: __, ...unpinned } = settingsOf(older);
    writeFileSync(`${older}.settings.json`, `${JSON.stringify(unpinned, null, 2)}\n`);
    const refused = await rollout(EAST, ["--model", datedDir, "--out", older, "--n", "2"]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /sampled from another prompt .* this run rendered \d{4}-\d\d-\d\d: if it was begun on another day, resume with --template-date of that day/,
    );
    const fixed = await rollout(EAST, [
      "--model",
      datedDir,
      "--out",
      older,
      "--n",
      "2",
      "--template-date",
      dayIn(-12),
    ]);
    expect(fixed.code, fixed.err).toBe(0);
    expect(settingsOf(older).templateDate).toBe(dayIn(-12));
  });

  it("a teacher-reply job resumed on the next local day renders the prompts of its first day", async () => {
    const gen = await Generator.load(datedDir);
    const out = path.join(work, "teacher.jsonl");
    const prompt = (n: number) => ({
      problemId: "q",
      messages: [{ role: "user", content: "1+1?" }],
      requests: Array.from({ length: n }, (_, i) => ({
        id: `q#${i}`,
        sampling: { temperature: 1, topK: 0, maxNewTokens: 4, seed: i },
      })),
    });
    try {
      process.env.TZ = WEST;
      await runTeacherReplies({ generator: gen, prompts: [prompt(1)], outFile: out, warn: () => {} });
      expect(settingsOf(out).templateDate).toBe(dayIn(-12));
      process.env.TZ = EAST;
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
          prompts: [prompt(2)],
          outFile: out,
          templateDate: dayIn(14),
          warn: () => {},
        }),
      ).rejects.toThrow(/rendered with the chat template's date/);
    } finally {
      await gen.close();
    }
  });
});

describe("the day in code", () => {
  it("createTeacherGenerator's templateDate and ScoreRequest.now render that day", async () => {
    const gen = await Generator.load(datedDir);
    try {
      const messages = [{ role: "user", content: "1+1?" }];
      const day = parseTemplateDate("2024-07-26", "test");
      const dated = gen.encodePrompt({ id: "r", messages, now: day });
      const today = gen.encodePrompt({ id: "r", messages });
      expect(dated).not.toEqual(today);
      const sampling = { temperature: 0, topK: 0, maxNewTokens: 8 };
      const greedy = async (promptIds: number[]): Promise<number[]> => {
        for await (const s of gen.generate([{ id: "r", tokenIds: promptIds }], { sampling }))
          return s.tokenIds;
        return [];
      };
      const teacher = createTeacherGenerator({ generator: gen, templateDate: "2024-07-26" });
      const replies: number[][] = [];
      for await (const r of teacher.generate([{ id: "r", messages, sampling }], { captureLogits: false }))
        replies.push(r.tokenIds);
      expect(replies).toEqual([await greedy(dated)]);
      // The day ends the identity a caller pins (curation's run.json), so another day is a different teacher.
      const plain = createTeacherGenerator({ generator: gen }).identity;
      expect(teacher.identity).toBe(`${plain}; templateDate 2024-07-26`);
      const continuation = [5, 6, 7];
      const [byIds] = await scoreContinuations(gen, [{ id: "s", promptIds: dated, continuation }]);
      const [byDay] = await scoreContinuations(gen, [{ id: "s", messages, now: day, continuation }]);
      const [byToday] = await scoreContinuations(gen, [{ id: "s", messages, continuation }]);
      expect([...(byDay?.tokenLogprobs ?? [])]).toEqual([...(byIds?.tokenLogprobs ?? [])]);
      expect([...(byToday?.tokenLogprobs ?? [])]).not.toEqual([...(byIds?.tokenLogprobs ?? [])]);
    } finally {
      await gen.close();
    }
  });
});

describe("a chat template that does not read the date", () => {
  it("records no day: a job's settings file stays as it was, on every day it resumes", async () => {
    const out = path.join(work, "qwen.jsonl");
    const first = await rollout(WEST, ["--model", qwenDir, "--out", out, "--limit", "1"]);
    expect(first.code, first.err).toBe(0);
    const settings = readFileSync(`${out}.settings.json`, "utf8");
    expect(settings).not.toMatch(/templateDate/);
    const resumed = await rollout(EAST, ["--model", qwenDir, "--out", out]);
    expect(resumed.code, resumed.err).toBe(0);
    expect(resumed.err).not.toMatch(/template/);
    expect(readFileSync(`${out}.settings.json`, "utf8")).toBe(settings);
  });

  it("takes --template-date, records it, and says it changes no prompt", async () => {
    const out = path.join(work, "qwen-given.jsonl");
    const first = await rollout(WEST, ["--model", qwenDir, "--out", out, "--template-date", "2024-07-26"]);
    expect(first.code, first.err).toBe(0);
    expect(first.err).toMatch(/does not read the date, so templateDate 2024-07-26 changes no prompt/);
    expect(settingsOf(out).templateDate).toBe("2024-07-26");
    // Another day changes no prompt of this template: a note, not a refusal, and the recorded day stays.
    const settings = readFileSync(`${out}.settings.json`, "utf8");
    const other = await rollout(EAST, [
      "--model",
      qwenDir,
      "--out",
      out,
      "--template-date",
      "2025-01-02",
      "--n",
      "2",
    ]);
    expect(other.code, other.err).toBe(0);
    expect(other.err).toContain(
      `note: the model's chat template does not read the date, so templateDate 2025-01-02 changes no prompt; the output keeps the day it records, 2024-07-26 (templateDate in ${out}.settings.json)`,
    );
    expect(readFileSync(`${out}.settings.json`, "utf8").replace('"n": 2', '"n": 1')).toBe(settings);
    expect(recordsOf(out)).toHaveLength(4);
  });
});

/** The messages of the output's first record (the math-tutor system turn and the question). */
function promptOf(out: string): { role: string; content: string }[] {
  const record = JSON.parse(readFileSync(out, "utf8").split("\n")[0] as string) as {
    prompt: { role: string; content: string }[];
  };
  return record.prompt;
}
