import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadRepliesGenerator, teacherMessagesHash, teacherRequestHash } from "./replies-file-generator.js";
import type { GenerationRequest, GenerationResult } from "./teacher-generator.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function repliesFile(rows: unknown[]): string {
  const dir = mkdtempSync(join(tmpdir(), "ssb-replies-"));
  dirs.push(dir);
  const file = join(dir, "replies.jsonl");
  writeFileSync(file, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
  return file;
}

const request: GenerationRequest = {
  id: "g1#1",
  messages: [
    { role: "system", content: "S" },
    { role: "user", content: "U" },
  ],
  sampling: { temperature: 0.4, topK: 50, maxNewTokens: 512, seed: 7 },
};
const reply = { id: "g1#1", text: "\\boxed{18}", tokenIds: [5, 6, 2], finishReason: "stop" };

async function replyTo(file: string, requests: GenerationRequest[]): Promise<GenerationResult[]> {
  const generator = await loadRepliesGenerator(file);
  const out: GenerationResult[] = [];
  for await (const r of generator.generate(requests, { captureLogits: false })) out.push(r);
  return out;
}

describe("loadRepliesGenerator", () => {
  it("pins the hashes' format (ssb-rollout writes the same values: its test checks both)", () => {
    expect(teacherRequestHash("g1#1", request.sampling)).toBe("bfae50da6e2eb9e4");
    expect(teacherMessagesHash(request.messages)).toBe("f538d11e2b8a8692");
    // Each field counts; a missing optional one is null, not left out.
    expect(teacherRequestHash("g1#2", request.sampling)).not.toBe("bfae50da6e2eb9e4");
    expect(teacherRequestHash("g1#1", { ...request.sampling, seed: 8 })).not.toBe("bfae50da6e2eb9e4");
    expect(teacherRequestHash("g1#1", { ...request.sampling, topP: 0.9 })).not.toBe("bfae50da6e2eb9e4");
    expect(teacherMessagesHash([{ role: "user", content: "SU" }])).not.toBe("f538d11e2b8a8692");
  });

  it("yields a reply whose hashes match its request, and one without hashes unchecked", async () => {
    const hashed = {
      ...reply,
      requestHash: teacherRequestHash(request.id, request.sampling),
      messagesHash: teacherMessagesHash(request.messages),
    };
    expect(await replyTo(repliesFile([hashed]), [request])).toEqual([
      { id: "g1#1", text: "\\boxed{18}", tokenIds: [5, 6, 2], finishReason: "stop" },
    ]);
    const other = { ...request, messages: [{ role: "user", content: "another prompt" }] };
    expect(await replyTo(repliesFile([reply]), [other])).toHaveLength(1);
  });

  it("refuses a reply made for another prompt or with other sampling, naming its line", async () => {
    const file = repliesFile([
      { ...reply, id: "g0#1" },
      {
        ...reply,
        requestHash: teacherRequestHash(request.id, request.sampling),
        messagesHash: teacherMessagesHash(request.messages),
      },
    ]);
    // The teacher prompt was rewritten since (another correct / wrong pair was chosen).
    const rewritten = { ...request, messages: [request.messages[0]!, { role: "user", content: "U2" }] };
    await expect(replyTo(file, [rewritten])).rejects.toThrow(
      new RegExp(`${file}:2: reply "g1#1" was generated for another prompt than this run's request`),
    );
    // The run asks for another seed (or temperature, top-k, top-p, max tokens).
    const reseeded = { ...request, sampling: { ...request.sampling, seed: 8 } };
    await expect(replyTo(file, [reseeded])).rejects.toThrow(
      new RegExp(`${file}:2: reply "g1#1" was sampled with other settings`),
    );
    expect(await replyTo(file, [request])).toHaveLength(1);
  });

  it("takes the replies' teacher field as its identity; two teachers in one file are refused", async () => {
    const teacher = 'model 3f2a; sampling {"repetitionPenalty":1.1}';
    const one = await loadRepliesGenerator(
      repliesFile([
        { ...reply, teacher },
        { ...reply, id: "g2#1", teacher },
      ]),
    );
    expect(one.identity).toBe(teacher);
    expect((await loadRepliesGenerator(repliesFile([reply]))).identity).toBeUndefined();
    const mixed = repliesFile([
      { ...reply, teacher },
      { ...reply, id: "g2#1", teacher: "model 99aa" },
    ]);
    await expect(loadRepliesGenerator(mixed)).rejects.toThrow(
      `${mixed}:2: this reply has teacher "model 99aa", but ${mixed}:1 has teacher ${JSON.stringify(teacher)}`,
    );
    const partly = repliesFile([reply, { ...reply, id: "g2#1", teacher }]);
    // A job begun before the field was written gains it on resume: the replies without it are the same job's.
    expect((await loadRepliesGenerator(partly)).identity).toBe(teacher);
  });

  it("names a hash of the wrong type", async () => {
    const file = repliesFile([{ ...reply, requestHash: 12 }]);
    await expect(loadRepliesGenerator(file)).rejects.toThrow(
      new RegExp(`${file}:1: field "requestHash" must be a string`),
    );
  });

  it("a request with no reply names the file's replies no request asked for, and their lines", async () => {
    // The only reply is another run's: the error named only the missing id, not what the file holds instead.
    let file = repliesFile([{ ...reply, id: "p9#1" }]);
    await expect(replyTo(file, [request])).rejects.toThrow(
      `${file}: no reply with id "g1#1" (it holds a reply this run has not asked for: "p9#1" (line 1)); generate one reply per request id listed in this run's teacher-prompts.jsonl`,
    );
    // The first three, then a count; a reply already served to a request is not among them.
    file = repliesFile([reply, ...["a#1", "b#1", "c#1", "d#1", "e#1"].map((id) => ({ ...reply, id }))]);
    const second = { ...request, id: "g2#1" };
    await expect(replyTo(file, [request, second])).rejects.toThrow(
      `${file}: no reply with id "g2#1" (it holds replies this run has not asked for: "a#1" (line 2), "b#1" (line 3), "c#1" (line 4) and 2 more);`,
    );
    file = repliesFile([reply]);
    await expect(replyTo(file, [request, second])).rejects.toThrow(
      `${file}: no reply with id "g2#1" (its one reply was for another request of this run);`,
    );
  });
});
