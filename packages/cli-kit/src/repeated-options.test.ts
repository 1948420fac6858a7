import { parseArgs } from "node:util";
import { describe, expect, it } from "vitest";
import { type OptionSpec, repeatedOptionMessage } from "./repeated-options.js";

const options: Record<string, OptionSpec> = {
  seed: { type: "string" },
  stop: { type: "string", multiple: true },
  quiet: { type: "boolean" },
};

const tokensOf = (args: string[]) => parseArgs({ args, options, strict: true, tokens: true }).tokens;

describe("repeatedOptionMessage", () => {
  it("names the first option given twice and both of its values", () => {
    expect(repeatedOptionMessage(tokensOf(["--seed", "1", "--seed=2"]), options)).toBe(
      '--seed is given more than once ("1", then "2"); give it once',
    );
  });

  it("lets through options declared multiple, repeated switches, and a single use", () => {
    expect(repeatedOptionMessage(tokensOf(["--stop", "a", "--stop", "b"]), options)).toBeNull();
    expect(repeatedOptionMessage(tokensOf(["--quiet", "--quiet", "--seed", "3"]), options)).toBeNull();
    expect(repeatedOptionMessage(tokensOf([]), options)).toBeNull();
  });
});
