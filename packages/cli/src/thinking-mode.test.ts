import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "./default-config.js";
import { readModelChatTemplate } from "./template-day.js";
import { unusedKwargsWarning } from "./template-kwargs.js";
import { thinkingModeWarning, thinksByDefault } from "./thinking-mode.js";

// The end of Qwen3's template: the generation prompt, then an empty think block only when thinking is off.
const QWEN3_LIKE =
  "{%- for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{%- endfor %}" +
  "{%- if add_generation_prompt %}<|im_start|>assistant\n" +
  "{%- if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n{%- endif %}{%- endif %}";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function modelWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "ssb-thinking-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe("a chat template that thinks by default", () => {
  it("is told apart from one that does not, and from one a chat_template.jinja turns off", () => {
    expect(thinksByDefault(QWEN3_LIKE)).toBe(true);
    expect(thinksByDefault(`{%- set enable_thinking = false %}\n${QWEN3_LIKE}`)).toBe(false);
    expect(thinksByDefault("{% for m in messages %}{{ m.content }}{% endfor %}")).toBe(false);
    expect(thinksByDefault("{{ raise_exception('no') }} enable_thinking")).toBe(false);
  });

  it("gets a warning at the start of ssb run naming the limits it spends and how to turn it off", () => {
    const qwen3 = modelWith({ "tokenizer_config.json": JSON.stringify({ chat_template: QWEN3_LIKE }) });
    const warning = thinkingModeWarning(qwen3, DEFAULT_CONFIG);
    expect(warning).toMatch(/starts every reply in thinking mode/);
    // warnLine writes the "warning: " prefix; the line itself must not carry one too.
    expect(warning).not.toMatch(/^warning:/);
    expect(warning).toContain(`rollout.maxNewTokens (${DEFAULT_CONFIG.rollout.maxNewTokens})`);
    expect(warning).toContain('"chatTemplateKwargs": {"enable_thinking": false}');
    // The fix the warning gives silences it.
    expect(
      thinkingModeWarning(qwen3, { ...DEFAULT_CONFIG, chatTemplateKwargs: { enable_thinking: false } }),
    ).toBeNull();
    expect(unusedKwargsWarning(qwen3, { chatTemplateKwargs: { enable_thinking: false } })).toBeNull();
    // A misspelt kwarg leaves thinking on, and is named.
    const misspelt = { ...DEFAULT_CONFIG, chatTemplateKwargs: { enable_thinkng: false } };
    expect(thinkingModeWarning(qwen3, misspelt)).toMatch(/thinking mode/);
    expect(unusedKwargsWarning(qwen3, misspelt)).toMatch(
      /^\/.*: the chat template never reads chatTemplateKwargs "enable_thinkng"/,
    );
    // So does a template file that sets it: chat_template.jinja wins over tokenizer_config.json's.
    writeFileSync(
      path.join(qwen3, "chat_template.jinja"),
      `{%- set enable_thinking = false %}\n${QWEN3_LIKE}`,
    );
    expect(thinkingModeWarning(qwen3, DEFAULT_CONFIG)).toBeNull();
    const named = modelWith({
      "tokenizer_config.json": JSON.stringify({ chat_template: [{ name: "default", template: "x" }] }),
    });
    expect(readModelChatTemplate(named)).toBe("x");
    expect(thinkingModeWarning(named, DEFAULT_CONFIG)).toBeNull();
  });
});
