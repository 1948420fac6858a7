import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DEFAULT_CONFIG } from "./default-config.js";
import { resolveConfig } from "./load-config.js";
import { affectedStage } from "./run-pipeline.js";
import { curateTemplateDay, modelTemplateReadsDate, templateDay, withTemplateDay } from "./template-day.js";

const LLAMA_LIKE =
  '{{- bos_token }}{%- set date_string = strftime_now("%d %b %Y") %}Today Date: {{ date_string }}';

function modelWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "ssb-template-day-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

const dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("the run's template day", () => {
  it("is pinned to today only for a template that reads the date, and kept from the pinned config on resume", () => {
    const llama = modelWith({ "tokenizer_config.json": JSON.stringify({ chat_template: LLAMA_LIKE }) });
    const qwen = modelWith({ "tokenizer_config.json": JSON.stringify({ chat_template: "{{ messages }}" }) });
    const jinja = modelWith({ "tokenizer_config.json": "{}", "chat_template.jinja": LLAMA_LIKE });
    dirs.push(llama, qwen, jinja);
    expect([llama, qwen, jinja].map(modelTemplateReadsDate)).toEqual([true, false, true]);

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(2026, 10, 29, 23, 50));
    const first = withTemplateDay(DEFAULT_CONFIG, llama, null);
    expect(first.templateDate).toBe("2026-11-29");
    // Resumed after midnight: the pinned day, not today's (before, every stage rendered its own day).
    vi.setSystemTime(new Date(2026, 10, 30, 0, 10));
    expect(withTemplateDay(DEFAULT_CONFIG, llama, first).templateDate).toBe("2026-11-29");
    expect(withTemplateDay(DEFAULT_CONFIG, llama, null).templateDate).toBe("2026-11-30");
    // A day the config names wins; other templates get none, so their pinned config stays as it was.
    expect(
      withTemplateDay({ ...DEFAULT_CONFIG, templateDate: "2024-07-26" }, llama, first).templateDate,
    ).toBe("2024-07-26");
    expect(withTemplateDay(DEFAULT_CONFIG, qwen, null)).toBe(DEFAULT_CONFIG);
    expect(templateDay(DEFAULT_CONFIG)).toEqual({});
    expect(templateDay(first)).toEqual({ templateDate: "2026-11-29" });
  });

  it("is checked as a day, and another day changes the rollout stage", () => {
    expect(resolveConfig({ templateDate: "2024-07-26" }).templateDate).toBe("2024-07-26");
    for (const bad of ["2024-02-30", "26 Jul 2024", 20240726])
      expect(() => resolveConfig({ templateDate: bad }, "run.yaml")).toThrow(/run\.yaml.*templateDate/s);
    const a = { ...DEFAULT_CONFIG, templateDate: "2026-11-29" };
    const change = affectedStage(a, { ...a, templateDate: "2026-11-30" });
    expect(change?.stage).toBe("rollout");
  });
});

describe("ssb curate's template day", () => {
  it("is the flag's, else the day run.json pinned with the teacher, else today; none for other templates", () => {
    const llama = modelWith({ "tokenizer_config.json": JSON.stringify({ chat_template: LLAMA_LIKE }) });
    const qwen = modelWith({ "tokenizer_config.json": JSON.stringify({ chat_template: "{{ messages }}" }) });
    const out = modelWith({});
    dirs.push(llama, qwen, out);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(2026, 10, 30, 0, 10));
    expect(curateTemplateDay(out, llama, undefined)).toBe("2026-11-30");
    expect(curateTemplateDay(out, qwen, undefined)).toBeUndefined();
    expect(curateTemplateDay(out, llama, "2024-07-26")).toBe("2024-07-26");
    // A run started the day before: its teacher identity (rollout's createTeacherGenerator) ends with the day.
    const settings = { teacher: "model abc123; templateDate 2026-11-29", captureLogits: true };
    writeFileSync(path.join(out, "run.json"), JSON.stringify({ format: "x", settings }));
    expect(curateTemplateDay(out, llama, undefined)).toBe("2026-11-29");
  });
});
