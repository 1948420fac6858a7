/**
 * The checkpoint the run starts from and its ONNX export (generation runs on ONNX Runtime, training on the
 * safetensors). An export is written to a temporary folder and renamed into place, so a folder that exists is
 * complete; a stamp records what it was exported from, so a changed source is exported again.
 */
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { defaultModelDir } from "@ssb/default-model";
import { exportOnnx } from "@ssb/model";
import { writeFileAtomic } from "./work-dir.js";

export function resolveModelDir(model: string): string {
  return model === "default" ? defaultModelDir() : path.resolve(model);
}

const STAMP = "ssb-export.json";

export interface ExportRequest {
  modelDir: string;
  adapterDir?: string;
  outDir: string;
  variant: "contrib" | "plain";
}

/** Export (unless an identical export is already there); returns the ONNX folder. */
export async function ensureOnnxExport(request: ExportRequest): Promise<string> {
  const stamp = JSON.stringify({
    model: path.resolve(request.modelDir),
    adapter: request.adapterDir ? path.resolve(request.adapterDir) : null,
    variant: request.variant,
  });
  const stampFile = path.join(request.outDir, STAMP);
  if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return request.outDir;
  const tmp = `${request.outDir}.partial`;
  rmSync(tmp, { recursive: true, force: true });
  await exportOnnx({
    modelDir: request.modelDir,
    outDir: tmp,
    variant: request.variant,
    ...(request.adapterDir ? { adapterDir: request.adapterDir } : {}),
  });
  writeFileAtomic(path.join(tmp, STAMP), stamp);
  rmSync(request.outDir, { recursive: true, force: true });
  renameSync(tmp, request.outDir);
  return request.outDir;
}
