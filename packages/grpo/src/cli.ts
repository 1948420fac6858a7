import { runCli } from "./cli-main.js";

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`ssb-grpo: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
