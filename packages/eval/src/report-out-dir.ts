/**
 * Where `ssb-eval report` and `compare` write. `report RUN` re-renders a run into its own folder (the folder of a
 * records.jsonl given by path, not that file's path: `mkdir runs/x/records.jsonl` failed with EEXIST); `--out`
 * names another folder. A folder that holds another run is refused: `report runs/a --out runs/b` replaced run
 * b's summary.json, report.md and report.html with run a's, and nothing said so.
 */
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "./cli-args.js";

/** The run folder a `report` / `compare` argument names: the folder itself, or a records file's folder. */
export function runFolderOf(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? path : dirname(path);
}

/** An existing `--out` must be a folder: said with the flag, not as Node's EEXIST from mkdir. */
export function checkOutFolder(out: string): void {
  if (existsSync(out) && !statSync(out).isDirectory())
    throw new UsageError(`--out ${out}: is a file, expected a folder for the reports`);
}

/** The files of an ssb-eval run in a folder, which mark it as a run's own. */
const RUN_FILES = ["run.json", "records.jsonl"] as const;

/**
 * The folder `report` writes to, or undefined (print only): `--out`, else the one run's own folder. `--out` may be
 * a new folder, a folder of reports, or the folder of the one run reported (a re-render in place); another run's
 * folder is refused before anything is written.
 */
export function reportOutDir(out: string | undefined, runPaths: readonly string[]): string | undefined {
  const only = runPaths.length === 1 ? runFolderOf(runPaths[0] as string) : undefined;
  if (out === undefined) return only;
  checkOutFolder(out);
  const held = RUN_FILES.filter((f) => existsSync(join(out, f)));
  if (held.length > 0 && (only === undefined || resolve(only) !== resolve(out)))
    throw new UsageError(
      `--out ${out}: holds a run of its own (${held.join(", ")}); its summary.json and reports would be replaced by ${runPaths.length === 1 ? "this run's" : "these runs'"}: give another folder (or \`ssb-eval report ${out}\` to re-render that run)`,
    );
  return out;
}
