/**
 * An output folder must not be where the inputs are: `ssb run --work` at the model folder would pin its config
 * over the checkpoint's config.json, and a later `--from` would delete whatever input sits in a stage folder.
 * Checked before anything is written.
 */
import { existsSync, realpathSync } from "node:fs";
import path from "node:path";

export interface NamedPath {
  /** How the user gave it: a flag (`--model`) or a config field (`model (run.yaml)`). */
  label: string;
  path: string;
  /** A folder input is refused as the output folder itself and as one it contains; a file, where written. */
  kind: "file" | "folder";
}

/** The path with symbolic links resolved (as far as it exists), so two spellings of one folder compare equal. */
function canonical(p: string): string {
  const absolute = path.resolve(p);
  let existing = absolute;
  while (!existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  try {
    return path.join(realpathSync.native(existing), path.relative(existing, absolute));
  } catch {
    return absolute;
  }
}

/** True when `inner` is `outer` or lies inside it. */
function within(inner: string, outer: string): boolean {
  const rel = path.relative(outer, inner);
  return rel === "" || (!rel.startsWith("..") && !path.isAbsolute(rel));
}

/**
 * Refuse `out` when it is an input folder or lies inside one, or when an input is (or is inside) one of the
 * names `writes` the command writes or deletes in `out`. Inputs elsewhere in `out` are left alone: a run
 * folder may hold its own config or data.
 */
export function checkOutputAgainstInputs(
  out: { label: string; path: string; writes: readonly string[] },
  inputs: readonly NamedPath[],
): void {
  const outDir = canonical(out.path);
  for (const input of inputs) {
    const inPath = canonical(input.path);
    if (input.kind === "folder" && within(outDir, inPath)) {
      const where = outDir === inPath ? "is" : "is inside";
      throw new Error(
        `${out.label} ${out.path} ${where} ${input.label} ${input.path}: the outputs would be written among the inputs; choose another output folder`,
      );
    }
    const hit = out.writes.find((name) => within(inPath, path.join(outDir, name)));
    if (hit !== undefined) {
      const where = inPath === path.join(outDir, hit) ? "is" : "is inside";
      throw new Error(
        `${input.label} ${input.path} ${where} ${path.join(out.path, hit)}, which ${out.label} ${out.path} would overwrite or delete; move it or choose another output folder`,
      );
    }
  }
}
