/**
 * `ssb-grpo` in a fresh process (Node with tsx as a loader, as cli-eval.test.ts): what a usage error prints and
 * its exit code. A missing --out or an unknown command used to exit 1 (and print the whole usage), like a
 * failed run; no command printed the usage on stdout with no word of what was wrong.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SEE_HELP = 'Run "ssb-grpo --help" for the options.\n';

/**
 * ssb-grpo with `args`, run without blocking: several spawnSync calls in one test held vitest's worker past its
 * fixed 60 s RPC timeout on a loaded machine (see vitest.setup.ts at the root).
 */
function grpo(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "src/cli.ts", ...args],
      { cwd: packageDir, encoding: "utf8" },
      (error, stdout, stderr) => {
        const status = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

describe("ssb-grpo usage errors: one line saying what is wrong, where the options are, exit 2", () => {
  it("no command, an unknown command, a missing --out", async () => {
    expect(await grpo([])).toEqual({
      status: 2,
      stdout: "",
      stderr: `ssb-grpo: a command is required: train or eval\n${SEE_HELP}`,
    });
    expect((await grpo(["fly"])).stderr).toBe(
      `ssb-grpo: unknown command "fly" (the commands are train and eval)\n${SEE_HELP}`,
    );
    expect(await grpo(["train"])).toMatchObject({
      status: 2,
      stderr: `ssb-grpo: --out DIR is required (where the adapter, checkpoints and metrics go)\n${SEE_HELP}`,
    });
  });

  it("parseArgs errors as cli-kit explains them; repeated flags, bad values, two problem sources", async () => {
    expect(await grpo(["eval", "--problem-sed", "2"])).toMatchObject({
      status: 2,
      stderr: `ssb-grpo: unknown option --problem-sed (did you mean --problem-seed?)\n${SEE_HELP}`,
    });
    // train's settings are --set fields, not flags.
    expect((await grpo(["train", "--out", "x", "--stpes", "40"])).stderr).toBe(
      `ssb-grpo: unknown option --stpes (a setting: --set steps=VALUE)\n${SEE_HELP}`,
    );
    expect((await grpo(["eval", "--seed", "-1"])).stderr).toBe(
      `ssb-grpo: --seed -1: a value that starts with "-" is written --seed=-1\n${SEE_HELP}`,
    );
    expect(await grpo(["eval", "--seed=-1"])).toMatchObject({ status: 2 });
    expect(await grpo(["train", "--out", "a", "--out", "b"])).toMatchObject({ status: 2 });
    expect(await grpo(["eval", "--held-out", "3", "--fresh", "5"])).toMatchObject({
      status: 2,
      stderr: `ssb-grpo: --fresh and --held-out are alternatives: give one problem source\n${SEE_HELP}`,
    });
    expect(await grpo(["train", "--out", "x", "--backend", "gpu"])).toMatchObject({ status: 2 });
  });

  it("a path flag naming nothing is a usage error too, said with the flag", async () => {
    expect(await grpo(["eval", "--model", "nope"])).toEqual({
      status: 2,
      stdout: "",
      stderr: `ssb-grpo: --model nope: no such folder\n${SEE_HELP}`,
    });
    expect(await grpo(["eval", "--adapter", "nope"])).toMatchObject({
      status: 2,
      stderr: `ssb-grpo: --adapter nope: no such folder\n${SEE_HELP}`,
    });
  });

  it("a failure that is not about the command line exits 1 without the pointer; --help exits 0", async () => {
    expect(await grpo(["eval", "--problems", "README.md"])).toEqual({
      status: 1,
      stdout: "",
      stderr: `ssb-grpo: README.md:1:1: not valid JSON (Unexpected token '#')\n`,
    });
    // --version alone prints the package and its version (every ssb command: @ssb/cli-kit's printVersion).
    expect(await grpo(["--version"])).toEqual({ status: 0, stdout: "@ssb/grpo 0.1.0\n", stderr: "" });
    const help = await grpo(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("usage: ssb-grpo train");
  });
});
