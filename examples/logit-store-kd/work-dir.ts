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
