import { describe, expect, it } from "vitest";
import { main } from "./cli-main.js";

function run(args: string[]): Promise<{ code: number; err: string }> {
  let err = "";
  const io = {
    stdout: { write: () => true },
    stderr: {
      write: (s: string) => {
        err += s;
        return true;
      },
    },
  };
  return main(args, io).then((code) => ({ code, err }));
}

describe("ssb-rollout's flags given to ssb-eval", () => {
  it("names ssb-eval's flag for them (usage error, exit 2)", async () => {
    for (const [flag, ours] of [
      ["--system", "--system-prompt TEXT"],
      ["--no-system", "--no-system-prompt"],
      [
        "--problems",
        "--benchmarks (gsm8k, math500, aime24), or --benchmark-config SPEC for another JSONL file",
      ],
    ] as const) {
      const { code, err } = await run(["--replies", "r.jsonl", "--out", "o", flag, "x"]);
      expect(code).toBe(2);
      expect(err).toContain(`ssb-eval: unknown option ${flag} (ssb-rollout's flag; here it is ${ours})\n`);
    }
    // A misspelling keeps its own suggestion.
    const { err } = await run(["--replies", "r.jsonl", "--out", "o", "--sed", "1"]);
    expect(err).toContain("unknown option --sed (did you mean --seed?)\n");
  });
});
