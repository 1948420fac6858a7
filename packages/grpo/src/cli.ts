import { printVersion, reportCliError } from "@ssb/cli-kit";
import { runCli } from "./cli-main.js";

// Exit codes: 0 done, 1 failed, 2 a usage error (the command line is wrong), 130 stopped by a signal.
const args = process.argv.slice(2);
if (printVersion(args, import.meta.url)) process.exit(0);
runCli(args).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = reportCliError("ssb-grpo", error);
  },
);
