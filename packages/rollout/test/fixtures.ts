/** Paths to the shared test fixtures (beside the repository root) and a per-test export of qwen2-tiny-ref. */
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  EMBED_TOKENS_WEIGHT,
  exportOnnx,
  openSafetensors,
  type TensorToWrite,
  writeSafetensors,
} from "@ssb/model";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, "../../..");
export const fixturesDir = path.resolve(repoRoot, "../shared/fixtures");
export const tinyRefDir = path.join(fixturesDir, "qwen2-tiny-ref");
export const dummyDecoderDir = path.join(fixturesDir, "ortgenai-dummy-decoder");

/** Export qwen2-tiny-ref with @ssb/model into a fresh temp folder; returns the folder. */
export async function exportTinyRef(
  prefix = "ssb-rollout-test-",
  variant: "plain" | "contrib" = "plain",
  externalData = false,
): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await exportOnnx({ modelDir: tinyRefDir, outDir: dir, variant, externalData });
  return dir;
}

/**
 * qwen2-tiny-ref with every odd embedding row a copy of the even row before it, exported: its LM head is
 * the tied embedding, so every logit has a bit-identical twin, and for an odd top-k the k-th and (k+1)-th
 * largest logits tie.
 */
export async function exportTwinLogitsModel(prefix = "ssb-rollout-twins-"): Promise<string> {
  const checkpoint = await mkdtemp(path.join(os.tmpdir(), `${prefix}ckpt-`));
  await copyFile(path.join(tinyRefDir, "config.json"), path.join(checkpoint, "config.json"));
  const reader = await openSafetensors(path.join(tinyRefDir, "model.safetensors"));
  const tensors = new Map<string, TensorToWrite>();
  for (const name of reader.names()) {
    const { shape, data } = await reader.readFloat32(name);
    if (name === EMBED_TOKENS_WEIGHT) {
      const width = shape[1] as number;
      for (let row = 1; row < (shape[0] as number); row += 2)
        data.copyWithin(row * width, (row - 1) * width, row * width);
    }
    tensors.set(name, { dtype: "F32", shape, data });
  }
  await reader.close();
  await writeSafetensors(path.join(checkpoint, "model.safetensors"), tensors, { format: "pt" });
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  await exportOnnx({ modelDir: checkpoint, outDir: dir });
  await rm(checkpoint, { recursive: true, force: true });
  return dir;
}
