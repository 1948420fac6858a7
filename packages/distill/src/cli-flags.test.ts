import { describe, expect, it } from "vitest";
import { backendFlag, parseFlags, reportCliError, UsageError } from "./cli-flags.js";

const OPTIONS = { steps: { type: "string" }, seed: { type: "string" }, out: { type: "string" } } as const;

/** The error `run` throws (it must throw). */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected an error");
}

describe("parseFlags: a wrong command line is a UsageError said as a person fixes it", () => {
  it("an unknown option names the likely intended one", () => {
    const error = thrown(() => parseFlags(["--stpes", "3"], OPTIONS));
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe("unknown option --stpes (did you mean --steps?)");
  });

  it("a negative value says to write --seed=-1 (parseArgs read -1 as another option)", () => {
    expect(() => parseFlags(["--seed", "-1"], OPTIONS)).toThrow(
      '--seed -1: a value that starts with "-" is written --seed=-1',
    );
    expect(parseFlags(["--seed=-1"], OPTIONS).seed).toBe("-1");
  });

  it("an unknown option that is (close to) a config field points to --set", () => {
    const fields = ["steps", "seed", "epochs"];
    expect(() => parseFlags(["--stpes", "3"], { out: { type: "string" } }, fields)).toThrow(
      "unknown option --stpes (a setting: --set steps=VALUE)",
    );
    expect(() => parseFlags(["--epochs", "3"], { out: { type: "string" } }, fields)).toThrow(
      "unknown option --epochs (a setting: --set epochs=VALUE)",
    );
    // A flag suggestion is kept (--steps is a flag here).
    expect(() => parseFlags(["--stpes", "3"], OPTIONS, fields)).toThrow(
      "unknown option --stpes (did you mean --steps?)",
    );
  });

  it("a single-value flag given twice", () => {
    const error = thrown(() => parseFlags(["--out", "a", "--out", "b"], OPTIONS));
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toBe('--out is given more than once ("a", then "b"); give it once');
  });

  it("--backend outside the known names", () => {
    expect(backendFlag("wasm")).toBe("wasm");
    expect(() => backendFlag("gpu")).toThrow(
      '--backend must be one of auto, tfjs-node-gpu, tfjs-node, wasm, cpu, found "gpu"',
    );
  });
});

describe("reportCliError", () => {
  it("a usage error: one line, where the options are, exit 2; anything else: the message, exit 1", () => {
    let text = "";
    const stream = {
      write: (chunk: string) => {
        text += chunk;
      },
    };
    expect(reportCliError("ssb-x", new UsageError("--out is required"), stream)).toBe(2);
    expect(text).toBe('ssb-x: --out is required\nRun "ssb-x --help" for the options.\n');
    text = "";
    expect(reportCliError("ssb-x", new Error("disk full"), stream)).toBe(1);
    expect(text).toBe("ssb-x: disk full\n");
  });
});
