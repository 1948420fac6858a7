import { printVersion } from "@ssb/cli-kit";
import { main } from "./cli-main.js";
import { openModelGenerator } from "./model-generator.js";

const args = process.argv.slice(2);
if (printVersion(args, import.meta.url)) process.exit(0);
const code = await main(args, { stdout: process.stdout, stderr: process.stderr }, (options) =>
  openModelGenerator({ ...options, log: (m) => process.stderr.write(`${m}\n`) }),
);
process.exitCode = code;
