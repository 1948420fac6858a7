/** Entry point of the `ssb-export-onnx` bin (built with a `#!/usr/bin/env node` banner). */
import { printVersion } from "@ssb/cli-kit";
import { runExportCli } from "./cli-export-main.js";

const args = process.argv.slice(2);
if (printVersion(args, import.meta.url)) process.exit(0);
runExportCli(args).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `ssb-export-onnx: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
