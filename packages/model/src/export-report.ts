/**
 * How an export is reported to a person: the summary lines of a finished export and the refusals of an output
 * folder. `ssb-export-onnx` (this package) and `ssb export-onnx` (@ssb/cli) both print these, so the two
 * commands say the same things in the same words.
 */
import path from "node:path";
import { ExportOutBusyError, ExportOutNotFolderError } from "./export-lock.js";
import type { ExportOnnxResult } from "./export-onnx.js";
import { ExportOutConflictError } from "./export-target.js";

/** The lines of a finished export: files and sizes, the graph, what was copied and removed. */
export function describeExportResult(
  result: ExportOnnxResult,
  options: { fileNames?: boolean } = {},
): string[] {
  const name = (file: string): string => (options.fileNames ? path.basename(file) : file);
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const data = result.dataFile ? `, external data ${name(result.dataFile)} ${mb(result.dataBytes)}` : "";
  const lines = [
    `${name(result.modelFile)} (${mb(result.modelBytes)}${data})`,
    `${result.config.architecture}, ${result.config.numLayers} layers, variant ${result.variant}, ` +
      `${result.nodeCount} nodes, ${result.initializerCount} initializers, ${result.seconds.toFixed(1)} s`,
  ];
  if (result.copied.length > 0) lines.push(`copied: ${result.copied.join(", ")}`);
  if (result.removed.length > 0)
    lines.push(`removed (left by an earlier export, not in this one): ${result.removed.join(", ")}`);
  return lines;
}

/**
 * An export's refusal of its output folder, in words, and whether it is a usage error (a file given as the
 * folder: exit 2) or a failure (another export writing there, another model's files: exit 1). Null for any
 * other error.
 */
export function exportOutRefusal(error: unknown): { message: string; usage: boolean } | null {
  if (error instanceof ExportOutNotFolderError)
    return { message: `--out ${error.outDir} is a file; give a folder`, usage: true };
  if (error instanceof ExportOutBusyError)
    return {
      message:
        `--out ${error.outDir}: another export (${error.pid === null ? "in this process" : `pid ${error.pid}`}) ` +
        "is writing there; nothing was written. Wait for it to finish, or pick another --out",
      usage: false,
    };
  if (error instanceof ExportOutConflictError)
    return {
      message:
        `--out ${error.outDir} holds another model's files that this export would overwrite: ` +
        `${error.files.join(", ")} (they differ from --model's, and no earlier export wrote them); nothing was ` +
        "written. Pick another --out (an empty folder, or one an earlier export wrote)",
      usage: false,
    };
  return null;
}
