/**
 * A path given on a command line, checked before any work: a missing path or a folder where a file is
 * expected (or the reverse) said with its flag (`--adapter nope: no such folder`), before a model loads or a
 * job pins its settings. Node's own message (`ENOENT: no such file or directory, stat '/abs/nope'`) names
 * neither the flag nor the path as the user typed it, and came minutes later from deep inside the work.
 */
import { type Stats, statSync } from "node:fs";
import { UsageError } from "./command-line.js";

/** What a path must name: a file, a folder, or either (a model given as a folder or as one .onnx file). */
export type PathKind = "file" | "folder" | "file or folder";

/** How a checked path is named in its message. */
export interface PathCheckOptions {
  /** The flag that gave the path (`--model`); the message starts `--model PATH:`. Without it, `PATH:`. */
  flag?: string;
  /** What the path should have been, said when it is the wrong kind (default "a file" / "a folder"). */
  expected?: string;
}

/**
 * Returns `path` when it is of `kind`. A missing path or one of the wrong kind is a mistake on the command
 * line: UsageError (exit 2). A path that is there but cannot be read (permissions) is a plain Error (exit 1).
 */
export function checkPath(path: string, kind: PathKind, options: PathCheckOptions = {}): string {
  const label = options.flag === undefined ? path : `${options.flag} ${path}`;
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a file named as a folder on the way (`pairs.jsonl/x`), which is as missing as ENOENT.
    if (code === "ENOENT" || code === "ENOTDIR") throw new UsageError(`${label}: no such ${kind}`);
    throw new Error(`${label}: cannot be read (${(error as Error).message})`);
  }
  if (kind === "file" && stats.isDirectory())
    throw new UsageError(`${label}: is a folder, expected ${options.expected ?? "a file"}`);
  if (kind === "folder" && !stats.isDirectory())
    throw new UsageError(`${label}: is a file, expected ${options.expected ?? "a folder"}`);
  return path;
}
