/** Paths to the shared test fixtures (beside the repository root) and a per-test export of qwen2-tiny-ref. */
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { exportOnnx } from "@ssb/model";

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
