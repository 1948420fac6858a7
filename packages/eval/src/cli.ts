import { main } from "./cli-main.js";
import { openModelGenerator } from "./model-generator.js";

const code = await main(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr },
  (options) => openModelGenerator({ ...options, log: (m) => process.stderr.write(`${m}\n`) }),
);
process.exitCode = code;
