/** The `ssb-verify` executable: runCli (cli-main.ts) on the process's arguments and streams. */
import { printVersion, reportCliError } from "@ssb/cli-kit";
import { runCli } from "./cli-main.js";

const args = process.argv.slice(2);
if (printVersion(args, import.meta.url)) process.exit(0);
runCli(args).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A mistake in the command line (a flag, a path) exits 2 with a pointer to --help; a failure of the work 1.
    process.exitCode = reportCliError("ssb-verify", error);
  },
);
