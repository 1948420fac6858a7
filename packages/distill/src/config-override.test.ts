import { describe, expect, it } from "vitest";
import { setConfigPath } from "./config-override.js";

describe("setConfigPath (--set KEY=VALUE)", () => {
  it("writes a dotted path, creating objects on the way and keeping the rest", () => {
    const input: Record<string, unknown> = { optimizer: { lr: 1 } };
    setConfigPath(input, "optimizer.schedule", "cosine");
    setConfigPath(input, "lora.r", 8);
    expect(input).toEqual({ optimizer: { lr: 1, schedule: "cosine" }, lora: { r: 8 } });
  });

  it("refuses __proto__, constructor and prototype, naming --set; Object.prototype stays clean", () => {
    expect(() => setConfigPath({}, "__proto__.variant", "dr-grpo")).toThrow(
      '--set __proto__.variant: "__proto__" is not a settings field',
    );
    expect(() => setConfigPath({}, "constructor.prototype.variant", "x")).toThrow(/"constructor"/);
    expect(() => setConfigPath({}, "lora.prototype", 1)).toThrow(/"prototype"/);
    expect(({} as Record<string, unknown>).variant).toBeUndefined();
    expect(Object.hasOwn(Object.prototype, "variant")).toBe(false);
  });

  it("an inherited name on the way (toString) becomes a fresh own object, not a write into a function", () => {
    const input: Record<string, unknown> = {};
    setConfigPath(input, "toString.x", 1);
    expect(Object.hasOwn(input, "toString")).toBe(true);
    expect(input.toString).toEqual({ x: 1 });
    expect(Object.prototype.toString.call([])).toBe("[object Array]");
  });
});
