import { describe, expect, it } from "vitest";
import { compileChatTemplate } from "./chat-template.js";
import {
  chatTemplateKwargsKey,
  checkChatTemplateKwargs,
  parseChatTemplateKwargs,
  sameChatTemplateKwargs,
  unusedChatTemplateKwargs,
} from "./chat-template-kwargs.js";

describe("parseChatTemplateKwargs", () => {
  it("reads a JSON object of template variables", () => {
    expect(parseChatTemplateKwargs('{"enable_thinking": false, "tools": [{"name": "calc"}]}', "--x")).toEqual(
      {
        enable_thinking: false,
        tools: [{ name: "calc" }],
      },
    );
  });

  it("names the flag and says what to write when the text is not JSON", () => {
    expect(() => parseChatTemplateKwargs("enable_thinking=false", "--chat-template-kwargs")).toThrow(
      /--chat-template-kwargs: chat template kwargs are not JSON .*'\{"enable_thinking": false\}'/,
    );
  });

  it("refuses arrays, scalars and null", () => {
    for (const text of ["[1]", "true", "null", '"x"']) {
      expect(() => parseChatTemplateKwargs(text, "--k")).toThrow(
        /--k: chat template kwargs must be a JSON object/,
      );
    }
  });
});

describe("checkChatTemplateKwargs", () => {
  it("refuses names the renderer sets, naming them", () => {
    expect(() => checkChatTemplateKwargs({ messages: [] }, "run.yaml: chatTemplateKwargs")).toThrow(
      /run.yaml: chatTemplateKwargs: chat template kwarg "messages" is set by the renderer/,
    );
    expect(() => checkChatTemplateKwargs({ add_generation_prompt: false }, "f")).toThrow(
      /add_generation_prompt/,
    );
    expect(() => checkChatTemplateKwargs({ bos_token: "" }, "f")).toThrow(/bos_token/);
  });

  it("refuses names a template cannot read", () => {
    expect(() => checkChatTemplateKwargs({ "enable-thinking": false }, "f")).toThrow(
      /kwarg "enable-thinking" is not a name a template can read/,
    );
    expect(() => checkChatTemplateKwargs({ "1x": 1 }, "f")).toThrow(/not a name/);
  });

  it("refuses values that are not JSON, with the path to them", () => {
    expect(() => checkChatTemplateKwargs({ a: { b: [1, Number.NaN] } }, "f")).toThrow(/a\.b\[1\] is NaN/);
    expect(() => checkChatTemplateKwargs({ a: () => 1 }, "f")).toThrow(/a is function/);
    expect(() => checkChatTemplateKwargs({ a: undefined }, "f")).toThrow(/a is nothing/);
  });
});

describe("chatTemplateKwargsKey", () => {
  it("is the same whatever the key order, nested too", () => {
    const a = { x: 1, y: { b: [1, "2"], a: null } };
    const b = { y: { a: null, b: [1, "2"] }, x: 1 };
    expect(chatTemplateKwargsKey(a)).toBe(chatTemplateKwargsKey(b));
    expect(chatTemplateKwargsKey(a)).toBe('{"x":1,"y":{"a":null,"b":[1,"2"]}}');
    expect(sameChatTemplateKwargs(a, b)).toBe(true);
  });

  it("tells different values apart, and treats {} as none", () => {
    expect(sameChatTemplateKwargs({ enable_thinking: false }, { enable_thinking: true })).toBe(false);
    expect(sameChatTemplateKwargs({ enable_thinking: false }, undefined)).toBe(false);
    expect(chatTemplateKwargsKey({})).toBe("");
    expect(chatTemplateKwargsKey(undefined)).toBe("");
    expect(sameChatTemplateKwargs({}, null)).toBe(true);
  });
});

describe("unusedChatTemplateKwargs", () => {
  it("lists the kwargs a template never names (a misspelling, say)", () => {
    const source = "{% if enable_thinking is defined and enable_thinking is false %}x{% endif %}";
    expect(unusedChatTemplateKwargs(source, { enable_thinking: false })).toEqual([]);
    expect(unusedChatTemplateKwargs(source, { enable_thinkng: false, tools: [] })).toEqual([
      "enable_thinkng",
      "tools",
    ]);
    expect(unusedChatTemplateKwargs(source, undefined)).toEqual([]);
  });
});

describe("renderChat variables", () => {
  const template = compileChatTemplate(
    "{% for m in messages %}{{ m.content }}{% endfor %}{% if flag %}!{% endif %}",
    "tokenizer_config.json",
  );

  it("passes kwargs to the template", () => {
    expect(template.render([{ role: "user", content: "a" }], { variables: { flag: true } })).toBe("a!");
  });

  it("refuses a variable that would replace the conversation or a special token", () => {
    expect(() => template.render([{ role: "user", content: "a" }], { variables: { messages: [] } })).toThrow(
      /tokenizer_config.json: renderChat: options.variables may not set messages/,
    );
    expect(() =>
      template.render([{ role: "user", content: "a" }], { variables: { ssb_strftime_now: () => "x" } }),
    ).toThrow(/may not set ssb_strftime_now/);
  });
});
