import { existsSync, readdirSync, statSync } from "node:fs";

/**
 * Why `dir` cannot be the example's work folder, or undefined when it can (missing, or an empty folder). The
 * example writes a new store and a new adapter there: an earlier run's would be refused midway, and a path that
 * is a file used to end in a bare ENOTDIR stack trace from readdirSync.
 */
export function workDirProblem(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  if (!statSync(dir).isDirectory()) return `${dir} is a file, not a folder; give a new or empty folder`;
  if (readdirSync(dir).length > 0) return `${dir} is not empty; give a new or empty folder`;
  return undefined;
}

export const KD_USAGE = "usage: pnpm --filter @ssb/examples kd-from-store [work-dir]";

/**
 * The command line's work folder argument: undefined for none, or an error line (with the usage) for anything
 * else than one folder. A leading "--" (npm's separator, which pnpm passes on) is skipped: taken as the folder,
 * it made a folder named "--" where the command was typed, and the folder given after it was ignored. An
 * option-like argument (`--help`, `--out DIR`) is refused rather than made into a folder of that name.
 */
export function workDirArg(argv: readonly string[]): { dir?: string; error?: string } {
  const args = argv[0] === "--" ? argv.slice(1) : argv;
  const usage = (why: string): { error: string } => ({ error: `${why}\n${KD_USAGE}` });
  if (args.length > 1) return usage(`kd-from-store: one work folder at most, found ${args.length} arguments`);
  const dir = args[0];
  if (dir === undefined) return {};
  if (dir === "--help" || dir === "-h") return { error: KD_USAGE };
  if (dir.startsWith("-")) return usage(`kd-from-store: unknown option ${JSON.stringify(dir)}`);
  return { dir };
}
