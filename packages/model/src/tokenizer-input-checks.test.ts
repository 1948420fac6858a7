/** Bad arguments to encode / decode / renderChat are refused by name instead of giving "" or [] silently. */
import { beforeAll, describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/paths.js";
import { loadTokenizer, type ModelTokenizer } from "./tokenizer.js";

describe("tokenizer input checks (qwen2-tiny-ref)", () => {
  let tok: ModelTokenizer;
  beforeAll(async () => {
    tok = await loadTokenizer(tinyRefDir);
  });

  it("encode refuses a non-string text and unknown options", () => {
    expect(() => tok.encode(null as never)).toThrow(
      /tokenizer\.json: encode: text must be a string, found null/,
    );
    expect(() => tok.encode(5 as never)).toThrow(/encode: text must be a string, found number 5/);
    expect(() => tok.encode("a", { add_special_tokens: true } as never)).toThrow(
      /encode: unknown option "add_special_tokens" \(did you mean "addSpecialTokens"\?\)/,
    );
    expect(tok.encode("")).toEqual([]);
  });

  it("decode refuses ids it has no token for, negative or fractional ids, naming the index", () => {
    expect(() => tok.decode([65, 1e6])).toThrow(
      /tokenizer\.json: decode: ids\[1\] = 1000000 has no token in this tokenizer \(vocabulary of 256\)/,
    );
    expect(() => tok.decode([-1])).toThrow(
      /decode: ids\[0\] = number -1 is not a token id \(an integer >= 0\)/,
    );
    expect(() => tok.decode([65, 1.5])).toThrow(/decode: ids\[1\] = number 1\.5 is not a token id/);
    expect(() => tok.decode(null as never)).toThrow(/decode: ids must be an array of token ids, found null/);
    expect(() => tok.decode([65], { skip_special_tokens: true } as never)).toThrow(
      /unknown option "skip_special_tokens" \(did you mean "skipSpecialTokens"\?\)/,
    );
    expect(tok.decode([])).toBe("");
    expect(tok.decode([65, 66])).toBe("AB");
  });

  it("decode drops ids without a token only when asked (an LM head padded past the tokenizer)", () => {
    expect(tok.decode([65, 300, 66], { skipIdsWithoutToken: true })).toBe("AB");
    expect(tok.decode([300], { skipIdsWithoutToken: true })).toBe("");
    expect(() => tok.decode([-1], { skipIdsWithoutToken: true })).toThrow(/is not a token id/);
  });

  it("renderChat refuses a non-list of messages and misspelled options", () => {
    const msgs = [{ role: "user", content: "hi" }];
    expect(() => tok.renderChat(null as never)).toThrow(
      /tokenizer_config\.json: renderChat: messages must be an array of \{ role, content \}, found null/,
    );
    expect(() => tok.renderChat([null] as never)).toThrow(
      /renderChat: messages\[0\] needs string "role" and "content"/,
    );
    expect(() => tok.renderChat(msgs, { add_generation_prompt: true } as never)).toThrow(
      /renderChat: unknown option "add_generation_prompt" \(did you mean "addGenerationPrompt"\?\)/,
    );
    expect(tok.renderChat(msgs, { addGenerationPrompt: true })).toMatch(/<\|im_start\|>assistant\n$/);
  });
});
