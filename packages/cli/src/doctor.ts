/**
 * `ssb doctor`: what this machine can run, found by running it. Generation: each onnxruntime execution
 * provider loads a model and decodes a few greedy tokens, compared with the CPU's. Training: each tfjs backend
 * is started as @ssb/distill would start it. The logit store: a ZSTD store is written and read back. A GPU
 * setup that is missing a library says which one here, before a long run finds out.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { defaultModelDir } from "@ssb/default-model";
import { type BackendPreference, selectBackend, WASM_HEAP_BYTES } from "@ssb/distill";
import { openLogitStore, openLogitStoreWriter } from "@ssb/logit-store";
import { exportOnnx, loadModelConfig, type ModelConfig } from "@ssb/model";
import { type ExecutionProviderName, Generator, onnxRuntimeInfo, resolveModelFile } from "@ssb/rollout";
import { DEFAULT_CONFIG } from "./default-config.js";
import { describeModelConfig, formatGiB, wasmStepBytes } from "./model-summary.js";
import { trainConfigOf } from "./stage-distill.js";

export type DoctorArea = "machine" | "model" | "generation" | "training" | "logit store";

export interface DoctorCheck {
  area: DoctorArea;
  /** What was checked: a provider, a backend, a codec. */
  name: string;
  /** null for facts that are neither (the machine's description). */
  ok: boolean | null;
  detail: string;
}

export interface DoctorOptions {
  /** An ONNX folder, or a Hugging Face checkpoint (exported to a temporary folder); default: the embedded model. */
  model?: string;
  /** Called before each check, for progress on a terminal. */
  onCheck?: (name: string) => void;
}

/** Greedy tokens each provider decodes; enough to cross a few KV-cache appends. */
const PROBE_TOKENS = 8;
const PROVIDERS: readonly Exclude<ExecutionProviderName, "auto">[] = ["cpu", "webgpu", "cuda"];
const TRAINING_BACKENDS: readonly BackendPreference[] = ["tfjs-node-gpu", "tfjs-node", "wasm"];

/** An error's message on one line (native errors carry their own line breaks). */
const oneLine = (error: unknown): string =>
  String(error instanceof Error ? error.message : error)
    .replace(/\s*\n\s*/g, " ")
    .trim();

function machineCheck(): DoctorCheck {
  const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
  const gib = (os.totalmem() / 2 ** 30).toFixed(1);
  return {
    area: "machine",
    name: "host",
    ok: null,
    detail: `${cpu}, ${os.availableParallelism()} cores, ${gib} GiB, ${os.type()} ${os.release()} ${os.arch()}, Node ${process.version}`,
  };
}

/** An ONNX folder to probe with: the given one, or the checkpoint (given or embedded) exported into `tmp`. */
async function onnxFolder(model: string | undefined, tmp: string): Promise<string> {
  const dir = model ?? defaultModelDir();
  try {
    resolveModelFile(dir);
    return dir;
  } catch {
    if (!existsSync(path.join(dir, "config.json")))
      throw new Error(`${dir}: neither an ONNX folder nor a checkpoint`);
  }
  const out = path.join(tmp, "onnx");
  await exportOnnx({ modelDir: dir, outDir: out });
  return out;
}

/** Greedy ids of a fixed prompt on one provider (null and the reason when it cannot start or run). */
async function probeProvider(
  onnx: string,
  provider: Exclude<ExecutionProviderName, "auto">,
): Promise<{ ids: number[] } | { error: string }> {
  let generator: Generator | null = null;
  try {
    generator = await Generator.load(onnx, { executionProvider: provider, warn: () => undefined });
    const vocab = generator.vocabSize;
    const prompt = Array.from({ length: 12 }, (_, i) => (i * 7 + 3) % vocab);
    const sampling = { temperature: 0, maxNewTokens: PROBE_TOKENS, stopTokenIds: [] };
    for await (const s of generator.generate([{ id: "probe", tokenIds: prompt }], { n: 1, sampling }))
      return { ids: s.tokenIds };
    return { error: "no sequence came back" };
  } catch (error) {
    return { error: oneLine(error) };
  } finally {
    await generator?.close();
  }
}

async function generationChecks(options: DoctorOptions, tmp: string): Promise<DoctorCheck[]> {
  const info = onnxRuntimeInfo();
  const name = `onnxruntime-node ${info.version}`;
  let onnx: string;
  try {
    onnx = await onnxFolder(options.model, tmp);
  } catch (error) {
    return [{ area: "generation", name, ok: false, detail: `no model to probe with: ${oneLine(error)}` }];
  }
  const checks: DoctorCheck[] = [];
  let cpuIds: number[] | null = null;
  for (const provider of PROVIDERS) {
    options.onCheck?.(`generation: ${provider}`);
    const listed = info.providers.find((p) => p.name === provider);
    const result = await probeProvider(onnx, provider);
    if ("error" in result) {
      const how = listed === undefined ? " (not in this onnxruntime-node build)" : "";
      checks.push({ area: "generation", name: provider, ok: false, detail: `${result.error}${how}` });
      continue;
    }
    if (provider === "cpu") cpuIds = result.ids;
    const same = cpuIds !== null && cpuIds.join() === result.ids.join();
    checks.push({
      area: "generation",
      name: provider,
      ok: provider === "cpu" || same,
      detail:
        provider === "cpu"
          ? `${name}: decoded ${result.ids.length} greedy tokens`
          : same
            ? `decoded the CPU's ${result.ids.length} greedy tokens`
            : `ran, but its greedy tokens differ from the CPU's (${result.ids.join(" ")} vs ${cpuIds?.join(" ") ?? "none"})`,
    });
  }
  return checks;
}

/** The probed model's folder and size, from its config.json (an ONNX export carries the checkpoint's). */
async function modelCheck(dir: string): Promise<{ check: DoctorCheck; config: ModelConfig | null }> {
  try {
    const config = await loadModelConfig(dir);
    return {
      check: { area: "model", name: "model", ok: null, detail: `${dir}: ${describeModelConfig(config)}` },
      config,
    };
  } catch (error) {
    return {
      check: {
        area: "model",
        name: "model",
        ok: null,
        detail: `${dir}: no readable config.json (${oneLine(error)})`,
      },
      config: null,
    };
  }
}

/** Tokens per sequence the memory check assumes (distill's README table uses the same). */
const MEMORY_CHECK_TOKENS = 256;

/**
 * Whether one LoRA step of the probed model fits the wasm backend's heap, by distill's estimate, at batch 1
 * and at `ssb run`'s default batch; ok unless neither fits and no tfjs-node backend started here.
 */
export function trainingMemoryCheck(config: ModelConfig, tfjsNode: boolean): DoctorCheck {
  const train = trainConfigOf(DEFAULT_CONFIG);
  const rank = train.lora.r;
  const batches = [...new Set([1, train.batchSize])];
  const sizes = batches.map((batch) => ({
    batch,
    bytes: wasmStepBytes(config, { batch, length: MEMORY_CHECK_TOKENS, loraRank: rank }),
  }));
  const fits = sizes.filter((s) => s.bytes <= WASM_HEAP_BYTES);
  const listed = sizes
    .map((s) => `batch ${s.batch} ${formatGiB(s.bytes)} (${s.bytes <= WASM_HEAP_BYTES ? "fits" : "over"})`)
    .join(", ");
  const node = tfjsNode ? "tfjs-node started here" : "tfjs-node is not installed here";
  let verdict: string;
  if (fits.length === sizes.length) verdict = "the wasm backend can train it";
  else if (fits.length > 0)
    verdict =
      `on wasm train at batchSize ${fits[fits.length - 1]?.batch} (gradAccumSteps keeps the effective batch), ` +
      `or with tfjs-node (no 4 GiB cap; ${node})`;
  else
    verdict = `too big for the wasm backend at any batch: training needs tfjs-node (no 4 GiB cap; ${node})`;
  return {
    area: "training",
    name: "memory",
    ok: fits.length > 0 || tfjsNode,
    detail:
      `one LoRA step (r=${rank}) x ${MEMORY_CHECK_TOKENS} tokens, estimated by @ssb/distill's ` +
      `estimateStepMemory with XNNPACK's packed weight copies (an estimate; heap fragmentation is not counted): ` +
      `${listed} against the wasm heap's 4 GiB; ${verdict}`,
  };
}

async function trainingChecks(options: DoctorOptions): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  const quiet = (): void => undefined;
  for (const backend of TRAINING_BACKENDS) {
    options.onCheck?.(`training: ${backend}`);
    try {
      const info = await selectBackend(backend, quiet);
      checks.push({ area: "training", name: backend, ok: true, detail: info.description });
    } catch (error) {
      checks.push({ area: "training", name: backend, ok: false, detail: oneLine(error) });
    }
  }
  try {
    const info = await selectBackend("auto", quiet);
    checks.push({ area: "training", name: "auto", ok: true, detail: `picks ${info.provider}` });
  } catch (error) {
    checks.push({ area: "training", name: "auto", ok: false, detail: oneLine(error) });
  }
  return checks;
}

/** A one-example ZSTD store written and read back: the codec loads and round-trips. */
async function logitStoreCheck(tmp: string): Promise<DoctorCheck> {
  const dir = path.join(tmp, "logits");
  try {
    const meta = {
      modelId: "doctor",
      tokenizerHash: "none",
      vocabSize: 16,
      k: 2,
      dtype: "float32" as const,
      captureTemperature: 1,
    };
    const writer = await openLogitStoreWriter(dir, meta, { compression: "zstd" });
    writer.append("x", { tokenIds: [3], topkIds: [3, 5], topkLogits: [2, 1], logSumExp: [2.5] });
    writer.commitExample("x");
    await writer.close();
    const store = await openLogitStore(dir);
    const back = store.read("x");
    const compressed = store.compressions().includes("zstd");
    store.close();
    const ok = compressed && back.tokenIds[0] === 3 && back.topkLogits[1] === 1 && back.logSumExp[0] === 2.5;
    return {
      area: "logit store",
      name: "zstd",
      ok,
      detail: ok ? "wrote and read back a compressed store" : "read back other values than were written",
    };
  } catch (error) {
    return { area: "logit store", name: "zstd", ok: false, detail: oneLine(error) };
  }
}

export async function runDoctor(options: DoctorOptions = {}): Promise<DoctorCheck[]> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "ssb-doctor-"));
  try {
    const checks: DoctorCheck[] = [machineCheck()];
    // Named first: every later line is about this model (it said nothing of which one it probed).
    const model = await modelCheck(path.resolve(options.model ?? defaultModelDir()));
    checks.push(model.check);
    checks.push(...(await generationChecks(options, tmp)));
    const training = await trainingChecks(options);
    checks.push(...training);
    if (model.config !== null) {
      const tfjsNode = training.some(
        (c) => c.ok === true && (c.name === "tfjs-node" || c.name === "tfjs-node-gpu"),
      );
      checks.push(trainingMemoryCheck(model.config, tfjsNode));
    }
    options.onCheck?.("logit store: zstd");
    checks.push(await logitStoreCheck(tmp));
    return checks;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Whether a pipeline can run: generation on the CPU and some training backend. */
export function doctorPasses(checks: readonly DoctorCheck[]): boolean {
  const ok = (area: DoctorArea, name: string) =>
    checks.some((c) => c.area === area && c.name === name && c.ok);
  return ok("generation", "cpu") && ok("training", "auto") && ok("logit store", "zstd");
}

export function formatDoctor(checks: readonly DoctorCheck[]): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines: string[] = [];
  let area: DoctorArea | null = null;
  for (const c of checks) {
    if (c.area !== area) lines.push(c.area);
    area = c.area;
    const mark = c.ok === null ? " " : c.ok ? "✓" : "✗";
    lines.push(`  ${mark} ${c.name.padEnd(width)}  ${c.detail}`);
  }
  return `${lines.join("\n")}\n`;
}
