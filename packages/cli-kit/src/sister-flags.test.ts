import { describe, expect, it } from "vitest";
import { UsageError } from "./command-line.js";
import { withSisterFlags } from "./sister-flags.js";

const flags = { "system-prompt": "--system TEXT" };
const failing = (message: string) => (): never => {
  throw new UsageError(message);
};

describe("withSisterFlags", () => {
  it("tells an unknown option that is the sister command's name for one of ours", () => {
    expect(() => withSisterFlags(failing("unknown option --system-prompt"), "ssb-eval", flags)).toThrow(
      new UsageError("unknown option --system-prompt (ssb-eval's flag; here it is --system TEXT)"),
    );
  });

  it("passes the result, other errors and other unknown options through as they are", () => {
    expect(withSisterFlags(() => 7, "ssb-eval", flags)).toBe(7);
    const spelt = "unknown option --sed (did you mean --seed?)";
    expect(() => withSisterFlags(failing(spelt), "ssb-eval", flags)).toThrow(new UsageError(spelt));
    const plain = new Error("unknown option --system-prompt");
    expect(() =>
      withSisterFlags(
        () => {
          throw plain;
        },
        "ssb-eval",
        flags,
      ),
    ).toThrow(plain);
  });
});
