/**
 * A prompt's messages: known roles only, and a last turn the reply answers (user or tool). Refused in the
 * problems and teacher-prompts readers (file:line) and in the library's Generator (the prompt's id).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportTinyRef } from "../test/fixtures.js";
import { checkPromptMessages } from "./chat-roles.js";
import { Generator } from "./generator.js";
import { readProblemsFile } from "./problems-file.js";
import { scoreContinuations } from "./score.js";
import { readTeacherPromptsFile } from "./teacher-prompts-file.js";

let work: string;
let modelDir: string;
let gen: Generator;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), "ssb-rollout-roles-"));
  modelDir = await exportTinyRef("ssb-rollout-roles-model-");
  gen = await Generator.load(modelDir);
});
afterAll(async () => {
  await gen.close();
  await rm(work, { recursive: true, force: true });
  await rm(modelDir, { recursive: true, force: true });
});

const file = async (name: string, lines: unknown[]): Promise<string> => {
  const f = path.join(work, name);
  await writeFile(f, `${lines.map((l) => JSON.stringify(l)).join("\n")}\n`);
  return f;
};

const user = { role: "user", content: "2+3?" };
const answer = { role: "assistant", content: "5" };

describe("checkPromptMessages", () => {
  it("takes system / user / assistant / tool turns ending with a user turn or a tool result", () => {
    expect(() => checkPromptMessages([{ role: "system", content: "s" }, user], "w")).not.toThrow();
    expect(() =>
      checkPromptMessages([user, answer, { role: "tool", content: "5" }, user], "w"),
    ).not.toThrow();
    // Qwen2.5's template renders a tool turn as <tool_response> in a user turn: the assistant answers it next.
    expect(() => checkPromptMessages([user, answer, { role: "tool", content: "5" }], "w")).not.toThrow();
  });

  it("names an unknown role with its index and the closest valid one", () => {
    expect(() => checkPromptMessages([{ role: "usr", content: "q" }], "p:3")).toThrow(
      'p:3: messages[0] has role "usr", not one of "system", "user", "assistant", "tool", "ipython", "developer", "function" (did you mean "user"?); chat templates render other roles as they please (Qwen2.5\'s drops the turn)',
    );
    expect(() => checkPromptMessages([{ role: "User", content: "q" }], "w")).toThrow(/did you mean "user"/);
    expect(() => checkPromptMessages([user, { role: "gpt", content: "a" }, user], "w")).toThrow(
      /messages\[1\] has role "gpt", .*did you mean "assistant"/,
    );
    expect(() => checkPromptMessages([{ role: "narrator", content: "q" }, user], "w")).toThrow(
      /has role "narrator", not one of "system", "user", "assistant", "tool", "ipython", "developer", "function"; chat templates/,
    );
  });

  it("takes another family's role (Llama 3.1's ipython, gpt-oss's developer) when the model's template names it", () => {
    const llama = "{%- elif message.role == 'ipython' %}<|start_header_id|>ipython<|end_header_id|>";
    const qwen = '{%- elif message.role == "tool" %}<tool_response>';
    const toolResult = [user, answer, { role: "ipython", content: "5" }];
    // A file read before the model is lets it through (a last ipython turn is a tool result: answerable) ...
    expect(() => checkPromptMessages(toolResult, "p:1")).not.toThrow();
    // ... and the render checks it against the template: Llama 3.1's names it, Qwen2.5's would drop the turn.
    expect(() => checkPromptMessages(toolResult, "w", llama)).not.toThrow();
    expect(() => checkPromptMessages(toolResult, "w", qwen)).toThrow(
      /messages\[2\] has role "ipython", not one of "system", "user", "assistant", "tool" \(did you mean "tool"\?\); the model's chat template never names it/,
    );
    const gptOss = "{%- if message.role == 'developer' %}";
    const dev = [{ role: "developer", content: "be brief" }, user];
    expect(() => checkPromptMessages(dev, "w", gptOss)).not.toThrow();
    expect(() => checkPromptMessages(dev, "w", qwen)).toThrow(/did you mean "system"/);
  });

  it("refuses a last assistant turn (SFT data), saying continue_final_message is not supported", () => {
    expect(() => checkPromptMessages([user, answer], "p:2")).toThrow(
      "p:2: the last message (messages[1]) is an assistant turn; it must be a user turn (or a tool result), the turn the sampled reply answers: a prompt with its answer (SFT data?) would be sampled after a finished assistant turn and a new generation prompt. Drop the last message to sample replies to the turn before it; continuing the assistant's message (transformers' continue_final_message) is not supported",
    );
    expect(() => checkPromptMessages([{ role: "system", content: "s" }], "p:4")).toThrow(
      /^p:4: the last message \(messages\[0\]\) is a system turn; it must be a user turn .*a reply to it would answer no user turn$/,
    );
  });
});

describe("the readers name the file and line", () => {
  it("problems: SFT-style messages and an unknown role", async () => {
    const f = await file("sft.jsonl", [
      { id: "a", question: "1+1?" },
      { id: "b", messages: [user, answer] },
    ]);
    expect(() => readProblemsFile(f)).toThrow(`${f}:2: the last message (messages[1]) is an assistant turn`);
    const g = await file("usr.jsonl", [
      {
        id: "a",
        messages: [
          { role: "system", content: "s" },
          { role: "usr", content: "q" },
        ],
      },
    ]);
    expect(() => readProblemsFile(g)).toThrow(`${g}:1: messages[1] has role "usr"`);
  });

  it("teacher prompts: an unknown role", async () => {
    const f = await file("tp.jsonl", [
      {
        problemId: "a",
        messages: [{ role: "human", content: "1+1?" }],
        requests: [{ id: "a#1", sampling: { temperature: 0.4, topK: 50, seed: 1 } }],
      },
    ]);
    expect(() => readTeacherPromptsFile(f)).toThrow(
      `${f}:1: messages[0] has role "human", not one of "system", "user", "assistant", "tool", "ipython", "developer", "function" (did you mean "user"?)`,
    );
  });
});

describe("the library refuses them too, naming the prompt's id", () => {
  it("encodePrompt, generate and scoreContinuations", async () => {
    expect(() => gen.encodePrompt({ id: "sft-1", messages: [user, answer] })).toThrow(
      /^prompt "sft-1": the last message \(messages\[1\]\) is an assistant turn/,
    );
    const run = async (): Promise<void> => {
      for await (const _ of gen.generate([{ id: "r-2", messages: [{ role: "usr", content: "q" }] }], {
        sampling: { maxNewTokens: 1 },
      })) {
        // nothing is sampled
      }
    };
    await expect(run()).rejects.toThrow(/^prompt "r-2": messages\[0\] has role "usr", .*did you mean "user"/);
    await expect(
      scoreContinuations(gen, [{ id: "pair-3", messages: [user, answer], continuation: [1, 2] }]),
    ).rejects.toThrow(/^prompt "pair-3": the last message/);
    // A tool result as the last turn renders, as transformers renders it.
    expect(
      gen.encodePrompt({ id: "t", messages: [user, answer, { role: "tool", content: "5" }] }).length,
    ).toBeGreaterThan(0);
  });
});
