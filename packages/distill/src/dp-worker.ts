/** Worker-thread side of data-parallel training (see data-parallel.ts). */
import { parentPort, workerData } from "node:worker_threads";
import { loadCheckpoint } from "@ssb/model";
import { selectBackend } from "./backend.js";
import type { WorkerInit, WorkerResult, WorkerStep } from "./data-parallel.js";
import { initLora, loraConfigFrom } from "./lora.js";
import { type DecoderModel, loadDecoder, trainableVariables } from "./model.js";
import { qwen2Config, randomWeights } from "./random-weights.js";
import { tf } from "./tf.js";
import { stepGradients } from "./train-step.js";

async function loadModel(init: WorkerInit): Promise<DecoderModel> {
  if (init.source.kind === "random") {
    const config = qwen2Config(init.source.sizes);
    const w = randomWeights(config, init.source.seed);
    return loadDecoder(config, w.read, w.has, init.config.trainable);
  }
  const checkpoint = await loadCheckpoint(init.source.dir);
  const model = await loadDecoder(
    checkpoint.config,
    (n) => checkpoint.weights.readFloat32(n),
    (n) => checkpoint.weights.has(n),
    init.config.trainable,
  );
  await checkpoint.close();
  return model;
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error("dp-worker must run in a worker thread");
  const init = workerData as WorkerInit;
  try {
    await selectBackend("wasm", () => {});
    const model = await loadModel(init);
    // Same shapes as the main thread's adapter; the values arrive with every step.
    if (init.config.trainable === "lora")
      model.lora = initLora(model.config, loraConfigFrom(init.config.lora), init.config.seed);
    const vars = trainableVariables(model);
    port.on("message", (m: { type: string; step: WorkerStep }) => {
      if (m.type !== "step") return;
      try {
        const s = m.step;
        tf.tidy(() => {
          for (const [i, v] of vars.entries()) v.assign(tf.tensor(s.params[i] as Float32Array, v.shape));
        });
        const groups = s.microBatches.map((ids) =>
          ids.map((i) => init.examples[i] as WorkerInit["examples"][number]),
        );
        let result: WorkerResult;
        if (groups.length === 0) {
          // A step with fewer examples than participants leaves this worker nothing to do.
          result = {
            grads: vars.map((v) => new Float32Array(v.size)),
            loss: 0,
            kl: 0,
            ce: 0,
            tokens: 0,
            rows: 0,
          };
        } else {
          const g = stepGradients(model, vars, groups, s.weights, init.config, s.step, init.padId);
          const grads = g.grads.map((t) => Float32Array.from(t.dataSync() as Float32Array));
          for (const t of g.grads) t.dispose();
          result = { grads, loss: g.loss, kl: g.kl, ce: g.ce, tokens: g.tokens, rows: g.rows };
        }
        const grads = result.grads;
        port.postMessage(
          { type: "result", result },
          grads.map((a) => a.buffer as ArrayBuffer),
        );
      } catch (error) {
        port.postMessage({ type: "error", message: error instanceof Error ? error.message : String(error) });
      }
    });
    port.postMessage({ type: "ready" });
  } catch (error) {
    port.postMessage({
      type: "error",
      message: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
}

void main();
