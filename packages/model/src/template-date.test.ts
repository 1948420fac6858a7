import { describe, expect, it } from "vitest";
import { llama32Models } from "../test/llama-tokenizer.js";
import { renderChatTemplate } from "./chat-template.js";
import {
  isTemplateDate,
  parseTemplateDate,
  strftime,
  templateDateString,
  templateReadsDate,
} from "./template-date.js";
import { loadTokenizer } from "./tokenizer.js";

describe("strftime", () => {
  it("formats as Python's time.strftime in the C locale", () => {
    // Python: time.strftime(f, (2026, 1, 4, 9, 5, 7, 6, 4, -1)), the C locale.
    const d = new Date(2026, 0, 4, 9, 5, 7);
    expect(strftime(d, "%d %b %Y")).toBe("04 Jan 2026");
    expect(strftime(d, "%A %a %B %m/%d/%y %H:%M:%S %I %p %j %% %Q")).toBe(
      "Sunday Sun January 01/04/26 09:05:07 09 AM 004 % %Q",
    );
    expect(strftime(new Date(2024, 11, 31, 0, 0, 0), "%I %p %j")).toBe("12 AM 366");
  });
});

describe("template dates", () => {
  it("round-trip as YYYY-MM-DD and refuse anything else, naming where", () => {
    expect(templateDateString(parseTemplateDate("2024-07-26", "settings.json"))).toBe("2024-07-26");
    expect(parseTemplateDate("2024-02-29", "x").getHours()).toBe(12);
    for (const bad of ["2024-02-30", "26 Jul 2024", "2024-7-26", ""]) {
      expect(() => parseTemplateDate(bad, "settings.json")).toThrow(
        /settings\.json: expected a date as YYYY-MM-DD/,
      );
      expect(isTemplateDate(bad)).toBe(false);
    }
    expect([isTemplateDate("2024-02-29"), isTemplateDate(20240229)]).toEqual([true, false]);
  });

  it("tell a template that reads the clock", () => {
    expect(templateReadsDate('{{ strftime_now("%d %b %Y") }}')).toBe(true);
    expect(templateReadsDate("{{ messages[0].content }}")).toBe(false);
    expect(templateReadsDate(null)).toBe(false);
  });

  it("are what strftime_now reports to a template, in English whatever the machine's locale", async () => {
    const now = parseTemplateDate("2024-07-26", "test");
    expect(renderChatTemplate('{{ strftime_now("%d %B %Y") }}', [], { now })).toBe("26 July 2024");
    const tokenizer = await loadTokenizer(llama32Models);
    const messages = [{ role: "user", content: "Hi" }];
    const pinned = tokenizer.renderChat(messages, { addGenerationPrompt: true, now });
    expect(pinned).toContain("Today Date: 26 Jul 2024\n");
    expect(tokenizer.encodeChat(messages, { addGenerationPrompt: true, now })).toEqual(
      tokenizer.encode(pinned),
    );
    expect(() => tokenizer.renderChat(messages, { now: new Date(Number.NaN) })).toThrow(
      /options\.now must be a valid Date/,
    );
  });
});
