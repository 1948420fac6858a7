import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "./default-config.js";
import { resolveConfig } from "./load-config.js";
import { affectedStage } from "./run-pipeline.js";
import { curateTemplateKwargs, templateKwargs } from "./template-kwargs.js";

describe("chatTemplateKwargs in an ssb run config", () => {
  it("is read, and passed to the stages only when it holds something", () => {
    const config = resolveConfig({ chatTemplateKwargs: { enable_thinking: false } });
    expect(config.chatTemplateKwargs).toEqual({ enable_thinking: false });
    expect(templateKwargs(config)).toEqual({ chatTemplateKwargs: { enable_thinking: false } });
    expect(templateKwargs(DEFAULT_CONFIG)).toEqual({});
    // `{}` is none: a config writing it is the same run as one leaving it out.
    const empty = resolveConfig({ chatTemplateKwargs: {} });
    expect(empty.chatTemplateKwargs).toBeUndefined();
    expect(affectedStage(DEFAULT_CONFIG, empty)).toBeNull();
  });

  it("refuses what a template cannot be given, naming the file and field", () => {
    expect(() => resolveConfig({ chatTemplateKwargs: { messages: [] } }, "run.yaml")).toThrow(
      /run\.yaml.*chatTemplateKwargs.*"messages" is set by the renderer/s,
    );
    expect(() => resolveConfig({ chatTemplateKwargs: { "enable-thinking": false } }, "run.yaml")).toThrow(
      /chatTemplateKwargs.*not a name a template can read/s,
    );
    expect(() => resolveConfig({ chatTemplateKwargs: [1] }, "run.yaml")).toThrow(/chatTemplateKwargs/);
  });

  it("reruns from the rollouts when changed, and not for another key order", () => {
    const a = resolveConfig({ chatTemplateKwargs: { enable_thinking: false, x: 1 } });
    const b = resolveConfig({ chatTemplateKwargs: { x: 1, enable_thinking: false } });
    expect(affectedStage(a, b)).toBeNull();
    expect(affectedStage(DEFAULT_CONFIG, a)?.stage).toBe("rollout");
    expect(
      affectedStage(a, resolveConfig({ chatTemplateKwargs: { enable_thinking: true, x: 1 } }))?.stage,
    ).toBe("rollout");
  });
});

describe("ssb curate's kwargs", () => {
  it("are the flag's or config's, else the ones run.json pinned with the teacher", () => {
    const out = mkdtempSync(path.join(tmpdir(), "ssb-curate-kwargs-"));
    try {
      expect(curateTemplateKwargs(out, DEFAULT_CONFIG).chatTemplateKwargs).toBeUndefined();
      const settings = {
        teacher: 'model abc123; templateDate 2026-11-29; chatTemplateKwargs {"enable_thinking":false}',
      };
      writeFileSync(path.join(out, "run.json"), JSON.stringify({ format: "x", settings }));
      expect(curateTemplateKwargs(out, DEFAULT_CONFIG).chatTemplateKwargs).toEqual({
        enable_thinking: false,
      });
      // Given ones are kept: @ssb/curation refuses them if they differ from the teacher's.
      const given = { ...DEFAULT_CONFIG, chatTemplateKwargs: { enable_thinking: true } };
      expect(curateTemplateKwargs(out, given).chatTemplateKwargs).toEqual({ enable_thinking: true });
      writeFileSync(path.join(out, "run.json"), JSON.stringify({ settings: { teacher: "model abc123" } }));
      expect(curateTemplateKwargs(out, DEFAULT_CONFIG).chatTemplateKwargs).toBeUndefined();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
