/**
 * Data-parallel gradient computation over worker threads. Under Node the wasm backend runs on one thread, so
 * a second core idles; each worker here owns its own tfjs + wasm instance and model copy. Per step the main
 * thread sends the current trainable values, every participant (the main thread included) computes the
 * gradients of its share of the step's examples with the step's global row weights, and the main thread sums
 * them: because the loss is a weighted sum over rows, the summed shares equal the whole step's gradient.
 * Costs: one model copy per worker (and its own 4 GiB wasm heap), and copying the trainable values and
 * gradients each step (small for LoRA).
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { DecoderModel } from "./model.js";
import type { qwen2Config } from "./random-weights.js";
import { tf } from "./tf.js";
import type { TrainConfig } from "./train-config.js";
import { type StepGradients, stepGradients } from "./train-step.js";
import type { TrainingExample } from "./training-example.js";

export type ModelSource =
  | { kind: "checkpoint"; dir: string }
  | { kind: "random"; sizes: Parameters<typeof qwen2Config>[0]; seed: number };

export interface WorkerInit {
  source: ModelSource;
  config: TrainConfig;
  examples: TrainingExample[];
  padId: number;
}

export interface WorkerStep {
  step: number;
  /** Trainable values in trainableVariables() order. */
  params: Float32Array[];
  /** Micro-batches of example indices for this worker. */
  microBatches: number[][];
  weights: Float32Array;
}

export interface WorkerResult {
  grads: Float32Array[];
  loss: number;
  kl: number;
  ce: number;
  tokens: number;
  rows: number;
}

function startWorker(workerData: WorkerInit): Worker {
  // Built package: dist/dp-worker.js next to this bundle.
  const js = fileURLToPath(new URL("./dp-worker.js", import.meta.url));
  if (existsSync(js)) return new Worker(js, { workerData });
  // From source (tests, bench, tsx): register tsx's loader inside the worker, then import the .ts file.
  const ts = new URL("./dp-worker.ts", import.meta.url);
  if (!existsSync(fileURLToPath(ts))) {
    throw new Error(`data-parallel worker script not found next to ${fileURLToPath(import.meta.url)}`);
  }
  // require.resolve finds the CommonJS entry of tsx/esm/api; the ESM one sits beside it.
  const cjsApi = createRequire(import.meta.url).resolve("tsx/esm/api");
  const tsxApi = pathToFileURL(cjsApi.replace(/index\.cjs$/, "index.mjs")).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(ts.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

class GradientWorker {
  private readonly worker: Worker;
  private pending: { resolve: (r: WorkerResult) => void; reject: (e: Error) => void } | null = null;
  readonly ready: Promise<void>;

  constructor(init: WorkerInit) {
    this.worker = startWorker(init);
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (m: { type: string; message?: string }) => {
        if (m.type === "ready") resolve();
        else if (m.type === "error") reject(new Error(`data-parallel worker: ${m.message}`));
      };
      this.worker.once("message", onMessage);
      this.worker.once("error", reject);
    });
    this.worker.on("message", (m: { type: string; result?: WorkerResult; message?: string }) => {
      if (!this.pending) return;
      const { resolve, reject } = this.pending;
      this.pending = null;
      if (m.type === "result" && m.result) resolve(m.result);
      else if (m.type === "error") reject(new Error(`data-parallel worker: ${m.message}`));
    });
    this.worker.on("error", (e) => this.pending?.reject(e));
  }

  run(step: WorkerStep): Promise<WorkerResult> {
    if (this.pending) throw new Error("GradientWorker: a step is already running");
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.worker.postMessage({ type: "step", step });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

export class DataParallelPool {
  private constructor(private readonly workers: GradientWorker[]) {}

  /** Start `count` workers (the main thread is one more participant) and wait until their models are loaded. */
  static async start(count: number, init: WorkerInit): Promise<DataParallelPool> {
    const workers = Array.from({ length: count }, () => new GradientWorker(init));
    try {
      await Promise.all(workers.map((w) => w.ready));
    } catch (error) {
      await Promise.all(workers.map((w) => w.close()));
      throw error;
    }
    return new DataParallelPool(workers);
  }

  get size(): number {
    return this.workers.length;
  }

  /** Send one share to each worker; resolves when all have returned gradients. */
  run(shares: Omit<WorkerStep, "params">[], params: tf.Variable[]): Promise<WorkerResult[]> {
    const values = params.map((p) => p.dataSync() as Float32Array);
    return Promise.all(
      this.workers.map((w, i) => w.run({ ...(shares[i] as Omit<WorkerStep, "params">), params: values })),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.close()));
  }
}

/**
 * Split a step's micro-batches into `parts` shares: each micro-batch's examples are dealt round-robin (so
 * every share sees every micro-batch index and similar lengths), with each example's row weights following it.
 */
export function splitStep(
  microBatches: number[][],
  rowCounts: (index: number) => number,
  weights: Float32Array,
  parts: number,
): { microBatches: number[][]; weights: Float32Array }[] {
  const offsets = new Map<number, number>();
  let at = 0;
  for (const group of microBatches) {
    for (const index of group) {
      offsets.set(index, at);
      at += rowCounts(index);
    }
  }
  return Array.from({ length: parts }, (_, p) => {
    const mine = microBatches
      .map((group) => group.filter((_, j) => j % parts === p))
      .filter((g) => g.length > 0);
    const total = mine.flat().reduce((s, i) => s + rowCounts(i), 0);
    const w = new Float32Array(total);
    let o = 0;
    for (const index of mine.flat()) {
      const start = offsets.get(index) as number;
      const n = rowCounts(index);
      w.set(weights.subarray(start, start + n), o);
      o += n;
    }
    return { microBatches: mine, weights: w };
  });
}

/** One step's gradients with the main thread and the pool's workers each taking a share of the examples. */
export async function parallelGradients(
  pool: DataParallelPool,
  model: DecoderModel,
  vars: tf.Variable[],
  examples: TrainingExample[],
  microBatches: number[][],
  weights: Float32Array,
  config: TrainConfig,
  step: number,
  padId: number,
): Promise<StepGradients> {
  const shares = splitStep(
    microBatches,
    (i) => (examples[i] as TrainingExample).targets.length,
    weights,
    pool.size + 1,
  );
  const pending = pool.run(
    shares.slice(1).map((s) => ({ step, microBatches: s.microBatches, weights: s.weights })),
    vars,
  );
  const mine = shares[0] as (typeof shares)[number];
  const own = stepGradients(
    model,
    vars,
    mine.microBatches.map((ids) => ids.map((i) => examples[i] as TrainingExample)),
    mine.weights,
    config,
    step,
    padId,
  );
  const results = await pending;
  const grads = own.grads.map((g, i) =>
    tf.tidy(() => tf.addN([g, ...results.map((r) => tf.tensor(r.grads[i] as Float32Array, g.shape))])),
  );
  for (const g of own.grads) g.dispose();
  const sum = (f: (r: { loss: number; kl: number; ce: number; tokens: number; rows: number }) => number) =>
    f(own) + results.reduce((s, r) => s + f(r), 0);
  return {
    grads,
    loss: sum((r) => r.loss),
    kl: sum((r) => r.kl),
    ce: sum((r) => r.ce),
    tokens: sum((r) => r.tokens),
    rows: sum((r) => r.rows),
  };
}
