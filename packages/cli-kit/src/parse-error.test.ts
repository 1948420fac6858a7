import { parseArgs } from "node:util";
import { describe, expect, it } from "vitest";
import { explainParseError } from "./parse-error.js";

const options = {
  temperature: { type: "string" },
  seed: { type: "string" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** The message for a command line parseArgs refuses (strict, no positionals). */
function explain(args: string[]): string | null {
  try {
    parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    return explainParseError(error, options, args);
  }
  throw new Error(`parseArgs took ${args.join(" ")}`);
}

describe("explainParseError", () => {
  it("suggests the option a misspelled one meant", () => {
    expect(explain(["--temprature", "1"])).toBe("unknown option --temprature (did you mean --temperature?)");
    expect(explain(["--colour"])).toBe("unknown option --colour");
    expect(explain(["-x"])).toBe("unknown option -x");
  });

  it("says how to give a value that starts with a dash", () => {
    expect(explain(["--seed", "-1"])).toBe('--seed -1: a value that starts with "-" is written --seed=-1');
  });

  it("names a missing value, a value given to a switch, and a stray argument", () => {
    expect(explain(["--seed"])).toBe("--seed needs a value");
    expect(explain(["--quiet=yes"])).toBe("--quiet is a switch and takes no value");
    expect(explain(["file.jsonl"])).toBe(
      'unexpected argument "file.jsonl": this command takes only --options',
    );
  });

  it("returns null for anything else, which the caller rethrows", () => {
    expect(explainParseError(new Error("disk full"), options)).toBeNull();
    expect(explainParseError("text", options)).toBeNull();
  });
});
