import { printVersion } from "@ssb/cli-kit";
import { main } from "./main.js";

// Exit explicitly: ONNX Runtime and tfjs worker threads may otherwise keep the process alive.
const args = process.argv.slice(2);
// `ssb --version`, and `ssb rollout --version` (any subcommand's, which is this package's release too).
if (
  printVersion(args, import.meta.url) ||
  (args.length === 2 && printVersion(args.slice(1), import.meta.url))
)
  process.exit(0);
main(args).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`ssb: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
