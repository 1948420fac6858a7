/**
 * `--version`: the name and version of the package a command comes from, for bug reports and for checking
 * which build a PATH entry runs. Read from the package.json one folder above the command's file, which holds
 * for the built bin (dist/cli.js) and for the source run by tsx (src/cli.ts) alike.
 */
import { readFileSync } from "node:fs";

/** `name version` of the package whose bin is the module at `moduleUrl` (its import.meta.url). */
export function packageVersionLine(moduleUrl: string): string {
  const file = new URL("../package.json", moduleUrl);
  const { name, version } = JSON.parse(readFileSync(file, "utf8")) as { name?: unknown; version?: unknown };
  if (typeof name !== "string" || typeof version !== "string")
    throw new Error(`${file.pathname}: no "name" and "version" to print for --version`);
  return `${name} ${version}`;
}

/** Where printVersion writes. */
export interface VersionStream {
  write(text: string): unknown;
}

/**
 * When the command line is `--version` (or `-V`) alone, prints packageVersionLine and returns true: the caller
 * exits 0 without parsing anything else.
 */
export function printVersion(
  args: readonly string[],
  moduleUrl: string,
  stream: VersionStream = process.stdout,
): boolean {
  if (args.length !== 1 || (args[0] !== "--version" && args[0] !== "-V")) return false;
  stream.write(`${packageVersionLine(moduleUrl)}\n`);
  return true;
}
