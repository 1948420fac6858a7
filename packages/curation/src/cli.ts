import { printVersion } from "@ssb/cli-kit";
import { main } from "./cli-main.js";

// Ctrl-C. Every record is written whole and fsync'ed before the next (one synchronous write, which a signal
// handler cannot cut into) and run.json is in place before the first record, so a rerun of the same command
// skips the finished problems and does the rest. The output folder's lock is released at exit.
process.once("SIGINT", () => {
  process.stderr.write(
    "ssb-curate: interrupted; the problems finished so far are kept, and rerunning the same command resumes from there\n",
  );
  process.exit(130);
});

const args = process.argv.slice(2);
if (printVersion(args, import.meta.url)) process.exit(0);
main(args).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ssb-curate: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
