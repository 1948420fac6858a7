import { expect, it } from "vitest";
import { CompareUsageError, exitCodeFor, main, parseArgs, USAGE } from "./compare.js";
import { CompareConfigError } from "./compare-config.js";

it("--help names the command as it is typed, and says how long a run takes and how to continue one", async () => {
  const out: string[] = [];
  const result = await main(["--help"], { stdout: (t) => out.push(t), stderr: { write: () => true } });
  expect(result).toBeNull();
  expect(out.join("")).toBe(`${USAGE}\n`);
  expect(USAGE.split("\n")[0]).toBe(
    "usage: pnpm --filter @ssb/examples compare [--config FILE] [--out DIR] [--model DIR] [--quiet]",
  );
  expect(USAGE).toContain("~33 minutes");
  expect(USAGE).toContain("the same command\ncontinues it");
});

it('skips a leading "--" (npm\'s separator, which pnpm passes on; it was an unknown argument)', () => {
  expect(parseArgs(["--", "--out", "x", "--quiet"])).toEqual({ out: "x", quiet: true, help: false });
  expect(() => parseArgs(["--out", "x", "--"])).toThrow(CompareUsageError);
});

it("a wrong command line is a usage error: one line, a pointer to --help, exit status 2", () => {
  const thrown = (argv: string[]): unknown => {
    try {
      parseArgs(argv);
    } catch (e) {
      return e;
    }
    return null;
  };
  for (const [argv, line] of [
    [["--bogus"], 'unknown argument "--bogus"'],
    [["--out"], "--out needs a value"],
    [["--config", "--quiet"], "--config needs a value"],
  ] as const) {
    const e = thrown([...argv]);
    expect(e).toBeInstanceOf(CompareUsageError);
    expect((e as Error).message).toBe(
      `${line}\nRun "pnpm --filter @ssb/examples compare --help" for the options.`,
    );
    expect(exitCodeFor(e)).toBe(2);
  }
  // A bad config or a failed stage is not the command line's fault.
  expect(exitCodeFor(new CompareConfigError("x.yaml: unknown field"))).toBe(1);
  expect(exitCodeFor(new Error("stage failed"))).toBe(1);
});
