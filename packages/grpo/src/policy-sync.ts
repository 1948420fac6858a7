/**
 * On-policy sampling needs ONNX Runtime to decode with the *current* LoRA. The policy is small (the default
 * model has ~0.9M parameters), so each refresh merges the LoRA into the base weights in memory (@ssb/model's
 * mergeAdapter), rebuilds the decoder graph, writes it over the previous model.onnx and reopens the session.
 * The README states the measured cost of a refresh next to the step time: it is a few percent of a step, so
 * feeding LoRA matrices as extra graph inputs (no re-export) was not worth a second graph variant.
 */

import { existsSync } from "node:fs";
import { copyFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { type LoraLayer, loraToAdapter } from "@ssb/distill";
import {
  buildDecoderGraph,
  type CheckpointWeights,
  COMPANION_FILES,
  type LoraConfig,
  type ModelConfig,
  mergeAdapter,
  openCheckpointWeights,
  weightGetter,
  writeOnnxModel,
} from "@ssb/model";
import { Generator } from "@ssb/rollout";

export interface PolicySyncTiming {
  /** LoRA variables -> host, merge, graph build and serialisation to model.onnx. */
  exportMs: number;
  /** Opening the new ONNX Runtime session. */
  loadMs: number;
}

/** The live LoRA variables and their PEFT config. */
export interface PolicyLora {
  layers: Map<string, LoraLayer>;
  config: LoraConfig;
}

export class PolicySync {
  private generator: Generator | null = null;

  private constructor(
    readonly modelDir: string,
    readonly workDir: string,
    private readonly config: ModelConfig,
    private readonly base: CheckpointWeights,
  ) {}

  /** `workDir` receives model.onnx and the checkpoint's config / tokenizer files. */
  static async open(modelDir: string, workDir: string, config: ModelConfig): Promise<PolicySync> {
    await mkdir(workDir, { recursive: true });
    for (const name of COMPANION_FILES) {
      const from = path.join(modelDir, name);
      if (existsSync(from)) await copyFile(from, path.join(workDir, name));
    }
    return new PolicySync(modelDir, workDir, config, await openCheckpointWeights(modelDir));
  }

  /** Export base + LoRA (null: the base alone) and (re)open the generator on it. */
  async refresh(lora: PolicyLora | null): Promise<PolicySyncTiming> {
    const t0 = performance.now();
    const source =
      lora === null ? this.base : mergeAdapter(this.base, loraToAdapter(lora.layers, lora.config));
    const graph = buildDecoderGraph(this.config, weightGetter(source));
    await writeOnnxModel(graph, path.join(this.workDir, "model.onnx"), { externalData: false });
    const t1 = performance.now();
    await this.generator?.close();
    this.generator = await Generator.load(this.workDir, { modelId: path.basename(this.modelDir) });
    return { exportMs: t1 - t0, loadMs: performance.now() - t1 };
  }

  get current(): Generator {
    if (!this.generator) throw new Error("PolicySync: refresh() has not run yet");
    return this.generator;
  }

  async close(): Promise<void> {
    await this.generator?.close();
    this.generator = null;
    await this.base.close();
  }
}
