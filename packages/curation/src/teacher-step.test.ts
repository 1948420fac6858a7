import { describe, expect, it } from "vitest";
import { fakeGrader, problemOfRequest, ScriptedGenerator } from "../test/fakes.js";
import type { GradeOutcome, Grader } from "./grader.js";
import type { GenerationRequest, TeacherGenerator } from "./teacher-generator.js";
import { runTeacherStep, type TeacherTask } from "./teacher-step.js";

const task = (id: string, gold: string): TeacherTask => ({
  problemId: id,
  gold,
  messages: [
    { role: "system", content: "sys" },
    { role: "user", content: `hinted ${id}` },
  ],
});
const golds: Record<string, string> = { a: "1", b: "2", c: "3" };
const tasks = Object.entries(golds).map(([id, g]) => task(id, g));

describe("runTeacherStep", () => {
  it("sends temperature 0.4, top-k 50, capture on, seeded per problem; keeps correct replies", async () => {
    const gen = new ScriptedGenerator((r) => ({ text: `Robust. \\boxed{${golds[problemOfRequest(r)]}}` }));
    const out = await runTeacherStep(tasks, gen, { grader: fakeGrader, seed: 7 });
    expect(gen.calls).toHaveLength(1);
    const call = gen.calls[0]!;
    expect(call.options).toEqual({ captureLogits: true });
    expect(call.requests.map((r) => r.id)).toEqual(["a#1", "b#1", "c#1"]);
    for (const r of call.requests) {
      expect(r.sampling.temperature).toBe(0.4);
      expect(r.sampling.topK).toBe(50);
      expect(Number.isInteger(r.sampling.seed)).toBe(true);
    }
    expect(new Set(call.requests.map((r) => r.sampling.seed)).size).toBe(3);
    for (const id of ["a", "b", "c"]) {
      const o = out.get(id)!;
      expect(o.kind).toBe("accepted");
      if (o.kind !== "accepted") continue;
      expect(o.attempt).toBe(1);
      expect(o.extracted).toBe(golds[id]);
      expect(o.result.tokenIds.at(-1)).toBe(0); // end-of-turn kept
      expect(o.result.logitKey).toBe(`${id}#1`);
    }
    // Same seed, same request seeds.
    const gen2 = new ScriptedGenerator((r) => ({ text: `\\boxed{${golds[problemOfRequest(r)]}}` }));
    await runTeacherStep(tasks, gen2, { grader: fakeGrader, seed: 7 });
    expect(gen2.calls[0]!.requests.map((r) => r.sampling.seed)).toEqual(
      call.requests.map((r) => r.sampling.seed),
    );
  });

  it("judges replies by the rollouts' grading rule: a grader's unknown verdict is refused, a box-less wrong is no answer", async () => {
    const gen = new ScriptedGenerator(() => ({ text: "\\boxed{1}" }));
    // A custom grader with its own vocabulary: every reply was dropped as a wrong answer, without a word.
    const right: Grader = () => ({ verdict: "right", extracted: "1", reason: "" }) as unknown as GradeOutcome;
    await expect(runTeacherStep([task("a", "1")], gen, { grader: right })).rejects.toThrow(
      /^teacher reply "a#1": the grader returned verdict the string "right"; a grader must return an object with verdict "correct", "wrong" or "no-answer"/,
    );
    // The verifier out of its time budget says "wrong" with nothing extracted: there is no answer to be wrong.
    const timedOut: Grader = () => ({ verdict: "wrong", extracted: null, reason: "timed out" });
    const out = await runTeacherStep([task("a", "1")], gen, { grader: timedOut });
    expect(out.get("a")).toMatchObject({ kind: "rejected", reason: "teacher-no-answer" });
  });

  it("rejects wrong, unboxed and truncated replies with reasons; default is one try", async () => {
    const gen = new ScriptedGenerator((r) => {
      const id = problemOfRequest(r);
      if (id === "a") return { text: "\\boxed{99}" };
      if (id === "b") return { text: "no box at all" };
      return { text: "\\boxed{3}", finishReason: "length" };
    });
    const out = await runTeacherStep(tasks, gen, { grader: fakeGrader });
    expect(gen.calls).toHaveLength(1);
    expect(out.get("a")).toMatchObject({ kind: "rejected", reason: "teacher-wrong-answer" });
    expect(out.get("b")).toMatchObject({ kind: "rejected", reason: "teacher-no-answer" });
    expect(out.get("c")).toMatchObject({ kind: "rejected", reason: "teacher-truncated" });
  });

  it("retries only the rejected problems, with a new seed, up to maxAttempts", async () => {
    const gen = new ScriptedGenerator((r) => {
      const id = problemOfRequest(r);
      const attempt = Number(r.id.split("#")[1]);
      if (id === "a" && attempt < 3) return { text: "\\boxed{0}" };
      if (id === "c") return { text: "\\boxed{0}" };
      return { text: `\\boxed{${golds[id]}}` };
    });
    const out = await runTeacherStep(tasks, gen, { grader: fakeGrader, maxAttempts: 3 });
    expect(gen.calls.map((c) => c.requests.map((r) => r.id))).toEqual([
      ["a#1", "b#1", "c#1"],
      ["a#2", "c#2"],
      ["a#3", "c#3"],
    ]);
    expect(gen.calls[1]!.requests[0]!.sampling.seed).not.toBe(gen.calls[0]!.requests[0]!.sampling.seed);
    expect(out.get("a")).toMatchObject({ kind: "accepted", attempt: 3 });
    expect(out.get("b")).toMatchObject({ kind: "accepted", attempt: 1 });
    const c = out.get("c")!;
    expect(c).toMatchObject({ kind: "rejected", reason: "teacher-wrong-answer" });
    expect(c.attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
  });

  it("optionally rejects replies that mention the students", async () => {
    const gen = new ScriptedGenerator(() => ({ text: "As the Student said, \\boxed{1}" }));
    const off = await runTeacherStep([task("a", "1")], gen, { grader: fakeGrader });
    expect(off.get("a")!.kind).toBe("accepted");
    const on = await runTeacherStep([task("a", "1")], gen, {
      grader: fakeGrader,
      rejectStudentMention: true,
    });
    expect(on.get("a")).toMatchObject({ kind: "rejected", reason: "teacher-mentions-student" });
    const fine = new ScriptedGenerator(() => ({ text: "Studying this, \\boxed{1}" }));
    const ok = await runTeacherStep([task("a", "1")], fine, {
      grader: fakeGrader,
      rejectStudentMention: true,
    });
    expect(ok.get("a")!.kind).toBe("accepted");
  });

  it("passes sampling overrides and fixed seeds through", async () => {
    const gen = new ScriptedGenerator(() => ({ text: "\\boxed{1}" }));
    await runTeacherStep([task("a", "1")], gen, {
      grader: fakeGrader,
      sampling: { temperature: 0.7, topK: 20, maxNewTokens: 64, seed: 5 },
      captureLogits: false,
    });
    expect(gen.calls[0]!.requests[0]!.sampling).toEqual({
      temperature: 0.7,
      topK: 20,
      maxNewTokens: 64,
      seed: 5,
    });
    expect(gen.calls[0]!.options.captureLogits).toBe(false);
  });

  it("fails loudly on a generator that loses, duplicates or invents results", async () => {
    const make = (f: (reqs: GenerationRequest[]) => GenerationRequest[]): TeacherGenerator => ({
      async *generate(requests) {
        for (const r of f(requests))
          yield { id: r.id, text: "\\boxed{1}", tokenIds: [1], finishReason: "stop" };
      },
    });
    await expect(
      runTeacherStep(
        tasks,
        make((r) => r.slice(1)),
        { grader: fakeGrader },
      ),
    ).rejects.toThrow(/no result for 1 request\(s\): a#1/);
    await expect(
      runTeacherStep(
        tasks,
        make((r) => [...r, r[0]!]),
        { grader: fakeGrader },
      ),
    ).rejects.toThrow(/two results/);
    await expect(
      runTeacherStep(
        tasks,
        make((r) => [{ ...r[0]!, id: "zz#1" }]),
        { grader: fakeGrader },
      ),
    ).rejects.toThrow(/unknown request id "zz#1"/);
  });
});
