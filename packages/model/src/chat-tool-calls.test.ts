/**
 * A tool-call conversation through Qwen2.5-Instruct's template, as JSON datasets and OpenAI-style clients hold it:
 * the assistant's call has content null beside "tool_calls", a tool turn answers, and a system message sits in
 * the middle. The expected text is what jinja2 3.1 renders with transformers' environment (trim_blocks,
 * lstrip_blocks, its tojson) for the same messages.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/paths.js";
import { qwen25Template } from "../test/qwen-tokenizer.js";
import { type ChatMessage, compileChatTemplate } from "./chat-template.js";
import { createTokenizer } from "./tokenizer.js";

const tokens = {
  bosToken: null,
  eosToken: "<|im_end|>",
  padToken: "<|endoftext|>",
  unkToken: null,
  additionalSpecialTokens: [],
};

const tools = [
  {
    type: "function",
    function: {
      name: "add",
      description: "Add two numbers",
      parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } },
    },
  },
];

describe("chat template: tool calls", () => {
  it("renders a tool call with content null, a tool turn and a system message in the middle", () => {
    const messages = [
      { role: "user", content: "2+3?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ type: "function", function: { name: "add", arguments: { a: 2, b: 3 } } }],
      },
      { role: "tool", content: "5" },
      { role: "system", content: "Answer in words." },
      { role: "assistant", content: "five" },
    ] as unknown as ChatMessage[];
    const template = compileChatTemplate(qwen25Template, "qwen2.5/tokenizer_config.json", tokens);
    const expected = [
      "<|im_start|>system",
      "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.",
      "",
      "# Tools",
      "",
      "You may call one or more functions to assist with the user query.",
      "",
      "You are provided with function signatures within <tools></tools> XML tags:",
      "<tools>",
      '{"type": "function", "function": {"name": "add", "description": "Add two numbers", "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}}}}',
      "</tools>",
      "",
      "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:",
      "<tool_call>",
      '{"name": <function-name>, "arguments": <args-json-object>}',
      "</tool_call><|im_end|>",
      "<|im_start|>user",
      "2+3?<|im_end|>",
      "<|im_start|>assistant",
      "<tool_call>",
      '{"name": "add", "arguments": {"a": 2, "b": 3}}',
      "</tool_call><|im_end|>",
      "<|im_start|>user",
      "<tool_response>",
      "5",
      "</tool_response><|im_end|>",
      "<|im_start|>system",
      "Answer in words.<|im_end|>",
      "<|im_start|>assistant",
      "five<|im_end|>",
      "<|im_start|>assistant",
      "",
    ].join("\n");
    expect(template.render(messages, { addGenerationPrompt: true, variables: { tools } })).toBe(expected);
  });

  it("refuses content null without tool_calls, naming the message and both fields", () => {
    const template = compileChatTemplate(qwen25Template, "qwen2.5/tokenizer_config.json", tokens);
    const messages = [{ role: "assistant", content: null }] as unknown as ChatMessage[];
    expect(() => template.render(messages)).toThrow(
      /^qwen2\.5\/tokenizer_config\.json: renderChat: messages\[0\] needs string "role" and "content" \(content may be null beside a "tool_calls" list\), found role string "assistant" and content null$/,
    );
  });

  it("surfaces the template's raise_exception message, naming the file", () => {
    const template = compileChatTemplate(
      "{% for m in messages %}{% if m.role == 'tool' %}{{ raise_exception('Tool turns are not supported.') }}{% endif %}{% endfor %}",
      "m/chat_template.jinja",
    );
    expect(() => template.render([{ role: "tool", content: "5" }])).toThrow(
      /^m\/chat_template\.jinja: chat_template failed to render \(Tool turns are not supported\.\)$/,
    );
  });

  it("renders the list form's tool_use template when tools are passed, as transformers picks it", () => {
    const tokenizerJson = JSON.parse(
      readFileSync(path.join(tinyRefDir, "tokenizer.json"), "utf8"),
    ) as unknown;
    const config = {
      chat_template: [
        { name: "default", template: "D:{{ messages[0].content }}" },
        { name: "tool_use", template: "T:{{ tools[0].function.name }}:{{ messages[0].content }}" },
      ],
    };
    const tokenizer = createTokenizer(tokenizerJson, config);
    const messages = [{ role: "user", content: "hi" }];
    expect(tokenizer.renderChat(messages)).toBe("D:hi");
    expect(tokenizer.renderChat(messages, { variables: { tools } })).toBe("T:add:hi");
    expect(tokenizer.renderChat(messages, { variables: { tools: null } })).toBe("D:hi");
    // The fingerprint covers the tool_use template; a tokenizer without one keeps its fingerprint.
    const defaultOnly = createTokenizer(tokenizerJson, { chat_template: [config.chat_template[0]] });
    const plain = createTokenizer(tokenizerJson, { chat_template: "D:{{ messages[0].content }}" });
    expect(defaultOnly.fingerprint()).toBe(plain.fingerprint());
    expect(tokenizer.fingerprint()).not.toBe(plain.fingerprint());
    // A chat_template.jinja replaces both.
    const fromFile = createTokenizer(tokenizerJson, config, { chatTemplate: "F:{{ messages[0].content }}" });
    expect(fromFile.renderChat(messages, { variables: { tools } })).toBe("F:hi");
  });
});
