import { describe, expect, it } from "vitest";
import { counted } from "./counted.js";

describe("counted", () => {
  it("reads 1 step, 8 steps, 0 steps", () => {
    expect(counted(1, "step")).toBe("1 step");
    expect(counted(8, "step")).toBe("8 steps");
    expect(counted(0, "optimizer step")).toBe("0 optimizer steps");
  });
});
