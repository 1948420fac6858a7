/** Entry point of the `ssb-export-onnx` bin (built with a `#!/usr/bin/env node` banner). */
import { runExportCli } from "./cli-export-main.js";

runExportCli(process.argv.slice(2)).then(
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
