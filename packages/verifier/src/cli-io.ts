/**
 * Opening ssb-verify's input and output with errors that name the path (and the flag), instead of a bare
 * EISDIR or an unhandled stream 'error' event with a stack trace.
 */
import { once } from "node:events";
import { createReadStream, createWriteStream, realpathSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { Readable, Writable } from "node:stream";
import { finished } from "node:stream/promises";
import { UsageError } from "@ssb/cli-kit";

/** Where graded lines go: written as they come, kept by `commit`, dropped by `discard`. */
export interface GradedOutput {
  write(text: string): Promise<void>;
  /**
   * Makes the output final; only after a successful run. False when `stop` was aborted before that (a Ctrl-C
   * while the last lines were flushed): then the output is discarded instead.
   */
  commit(stop?: AbortSignal): Promise<boolean>;
  /** Drops what was written; an earlier file at the output path is left as it was. */
  discard(): void;
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** False also when the path cannot be examined: opening it then reports why. */
function isDirectory(path: string): boolean {
  try {
    return statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false;
  }
}

/** Opens the input file, or `stdin` for "<stdin>". */
export async function openInput(source: string, stdin: Readable = process.stdin): Promise<Readable> {
  if (source === "<stdin>") return stdin;
  const stream = createReadStream(source);
  try {
    await once(stream, "open");
  } catch (error) {
    throw new Error(`cannot read ${source}: ${reason(error)}`);
  }
  return stream;
}

/** Writes with back-pressure; a stream that has already failed throws here instead of waiting for "drain". */
async function writeTo(stream: Writable, text: string): Promise<void> {
  if (stream.errored) throw stream.errored;
  if (!stream.write(text)) await once(stream, "drain");
}

export function standardOutput(stdout: Writable = process.stdout): GradedOutput {
  return {
    write: (text) => writeTo(stdout, text),
    commit: async () => true,
    discard: () => {},
  };
}

/**
 * The file behind `--output`: an existing one is replaced through its link, if it is one, so a symlinked
 * output stays a link to the updated file.
 */
function outputTarget(path: string): string {
  if (isDirectory(path))
    throw new UsageError(`--output ${path} is a directory; give the path of a file to write`);
  if (!isDirectory(dirname(path)))
    throw new UsageError(`--output ${path}: ${dirname(path)} is not an existing folder`);
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * `--output FILE`: the lines go to a temporary file beside FILE, renamed over it only by `commit`, so a run
 * that stops partway (--strict, a read error) leaves an earlier FILE whole rather than half overwritten.
 */
export async function openOutputFile(path: string): Promise<GradedOutput> {
  const target = outputTarget(path);
  const temporary = join(dirname(target), `.${basename(target)}.${process.pid}.tmp`);
  const fail = (error: unknown): Error => new Error(`--output ${path}: cannot write (${reason(error)})`);
  const stream = createWriteStream(temporary);
  // Without a listener a failed write (disk full) crashes the process; stream.errored keeps it for writeTo.
  stream.on("error", () => {});
  // Whatever ends the process before commit or discard (a second Ctrl-C exits at once) removes the file too.
  const removeOnExit = (): void => rmSync(temporary, { force: true });
  process.on("exit", removeOnExit);
  const discard = (): void => {
    process.off("exit", removeOnExit);
    stream.destroy();
    rmSync(temporary, { force: true });
  };
  try {
    await once(stream, "open");
  } catch (error) {
    discard();
    throw fail(error);
  }
  return {
    write: (text) => writeTo(stream, text).catch((error: unknown) => Promise.reject(fail(error))),
    commit: async (stop) => {
      stream.end();
      try {
        await finished(stream);
      } catch (error) {
        throw fail(error);
      }
      // Checked after the flush, just before the rename: a signal handled while the lines were flushed counts.
      if (stop?.aborted) {
        discard();
        return false;
      }
      try {
        renameSync(temporary, target);
      } catch (error) {
        throw fail(error);
      }
      process.off("exit", removeOnExit);
      return true;
    },
    discard,
  };
}
