/**
 * `ssb-grpo` in a fresh process (Node with tsx as a loader, as cli-eval.test.ts): what a usage error prints and
 * its exit code. A missing --out or an unknown command used to exit 1 (and print the whole usage), like a
 * failed run; no command printed the usage on stdout with no word of what was wrong.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SEE_HELP = 'Run "ssb-grpo --help" for the options.\n';

function grpo(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
    cwd: packageDir,
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("ssb-grpo usage errors: one line saying what is wrong, where the options are, exit 2", () => {
  it("no command, an unknown command, a missing --out", () => {
    expect(grpo([])).toEqual({
      status: 2,
      stdout: "",
      stderr: `ssb-grpo: a command is required: train or eval\n${SEE_HELP}`,
    });
    expect(grpo(["fly"]).stderr).toBe(
      `ssb-grpo: unknown command "fly" (the commands are train and eval)\n${SEE_HELP}`,
    );
    expect(grpo(["train"])).toMatchObject({
      status: 2,
      stderr: `ssb-grpo: --out DIR is required (where the adapter, checkpoints and metrics go)\n${SEE_HELP}`,
    });
  });

  it("parseArgs errors as cli-kit explains them; repeated flags, bad values, two problem sources", () => {
    expect(grpo(["eval", "--problem-sed", "2"])).toMatchObject({
      status: 2,
      stderr: `ssb-grpo: unknown option --problem-sed (did you mean --problem-seed?)\n${SEE_HELP}`,
    });
    // train's settings are --set fields, not flags.
    expect(grpo(["train", "--out", "x", "--stpes", "40"]).stderr).toBe(
      `ssb-grpo: unknown option --stpes (a setting: --set steps=VALUE)\n${SEE_HELP}`,
    );
    expect(grpo(["eval", "--seed", "-1"]).stderr).toBe(
      `ssb-grpo: --seed -1: a value that starts with "-" is written --seed=-1\n${SEE_HELP}`,
    );
    expect(grpo(["eval", "--seed=-1"])).toMatchObject({ status: 2 });
    expect(grpo(["train", "--out", "a", "--out", "b"])).toMatchObject({ status: 2 });
    expect(grpo(["eval", "--held-out", "3", "--fresh", "5"])).toMatchObject({
      status: 2,
      stderr: `ssb-grpo: --fresh and --held-out are alternatives: give one problem source\n${SEE_HELP}`,
    });
    expect(grpo(["train", "--out", "x", "--backend", "gpu"])).toMatchObject({ status: 2 });
  });

  it("a path flag naming nothing is a usage error too, said with the flag", () => {
    expect(grpo(["eval", "--model", "nope"])).toEqual({
      status: 2,
      stdout: "",
      stderr: `ssb-grpo: --model nope: no such folder\n${SEE_HELP}`,
    });
    expect(grpo(["eval", "--adapter", "nope"])).toMatchObject({
      status: 2,
      stderr: `ssb-grpo: --adapter nope: no such folder\n${SEE_HELP}`,
    });
  });

  it("a failure that is not about the command line exits 1 without the pointer; --help exits 0", () => {
    expect(grpo(["eval", "--problems", "README.md"])).toEqual({
      status: 1,
      stdout: "",
      stderr: `ssb-grpo: README.md:1: not valid JSON (Unexpected token '#', "# @ssb/grpo" is not valid JSON)\n`,
    });
    // --version alone prints the package and its version (every ssb command: @ssb/cli-kit's printVersion).
    expect(grpo(["--version"])).toEqual({ status: 0, stdout: "@ssb/grpo 0.1.0\n", stderr: "" });
    const help = grpo(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("usage: ssb-grpo train");
  });
});
