/**
 * The checkpoint the run starts from and its ONNX export (generation runs on ONNX Runtime, training on the
 * safetensors). An export is written to a temporary folder and renamed into place, so a folder that exists is
 * complete; a stamp records what it was exported from, so a changed source is exported again.
 */
import { existsSync, readFileSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { defaultModelDir } from "@ssb/default-model";
import { writeFileAtomic } from "@ssb/durable-files";
import { exportOnnx } from "@ssb/model";

/**
 * Refuse a `model:` that is not a checkpoint folder before any stage runs (it is first read at the rollout
 * stage, after the problems stage would already have run).
 */
export function checkModelDir(model: string, dir: string): void {
  if (!existsSync(path.join(dir, "config.json"))) {
    throw new Error(
      `model: ${model === dir ? dir : `${model} (${dir})`} has no config.json; give a Hugging Face checkpoint folder (config.json, *.safetensors, tokenizer.json) or "default"`,
    );
  }
}

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
