import { printVersion } from "@ssb/cli-kit";
import { runCli } from "./cli-main.js";

const args = process.argv.slice(2);
if (printVersion(args, import.meta.url)) process.exit(0);
runCli(args).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
