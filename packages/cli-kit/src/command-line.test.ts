import { parseArgs } from "node:util";
import { describe, expect, it } from "vitest";
import { parseCommandLine, refuseRepeatedOptions, UsageError } from "./command-line.js";

const options = { seed: { type: "string" }, quiet: { type: "boolean" } } as const;

function read(args: string[]) {
  const parsed = parseCommandLine(
    () => parseArgs({ args, options, strict: true, allowPositionals: false, tokens: true }),
    options,
    args,
  );
  refuseRepeatedOptions(parsed.tokens, options);
  return parsed.values;
}

describe("parseCommandLine and refuseRepeatedOptions", () => {
  it("return parseArgs' values for a good command line", () => {
    expect(read(["--seed", "3", "--quiet"])).toEqual({ seed: "3", quiet: true });
  });

  it("throw UsageError with one line for parseArgs' refusals and for a repeated flag", () => {
    expect(() => read(["--sed", "3"])).toThrow(new UsageError("unknown option --sed (did you mean --seed?)"));
    expect(() => read(["--seed", "1", "--seed", "2"])).toThrow(UsageError);
    expect(() => read(["--seed", "1", "--seed", "2"])).toThrow(
      '--seed is given more than once ("1", then "2")',
    );
  });

  it("let any other error through as it is", () => {
    const boom = new RangeError("not a parse error");
    expect(() =>
      parseCommandLine(
        () => {
          throw boom;
        },
        options,
        [],
      ),
    ).toThrow(boom);
  });
});
