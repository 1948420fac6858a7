/**
 * `ssb-export-onnx`: a HF checkpoint folder (optionally + a PEFT adapter) -> an ONNX decoder-with-past.
 * Argument parsing and the run live here (testable); `cli-export.ts` only calls {@link runExportCli}.
 */
import { statSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  UsageError as CliUsageError,
  parseCommandLine,
  refuseRepeatedOptions,
  stopOnSignals,
  usageHint,
} from "@ssb/cli-kit";
import type { DecoderVariant } from "./export-decoder.js";
import { type ExportOnnxOptions, exportOnnx } from "./export-onnx.js";
import { describeExportResult, exportOutRefusal } from "./export-report.js";

export const EXPORT_USAGE = `Usage: ssb-export-onnx --model DIR --out DIR [options]

Export a Qwen2 / Qwen3 / Llama Hugging Face checkpoint to an ONNX decoder-with-past
(inputs input_ids, attention_mask, position_ids, past_key_values.{i}.key|value;
outputs logits, present.{i}.key|value and this pass's new_key_values.{i}.key|value),
for ONNX Runtime.

Options:
  --model DIR          checkpoint folder (config.json + model.safetensors or sharded index)
  --out DIR            output folder: model.onnx (+ model.onnx.data), config and tokenizer files;
                       these are replaced once the export succeeds (those an earlier export
                       wrote and the new one lacks are removed), other files there are left
                       alone; a folder holding another model's config or tokenizer is refused
  --adapter DIR        PEFT LoRA adapter to merge into the weights before export
  --variant V          plain (standard ONNX ops, any execution provider; default) or
                       contrib (ONNX Runtime com.microsoft fused kernels; faster on CPU)
  --dtype f32          weight type in the graph (only f32 today)
  --external-data M    auto (default: external above 1.8 GB), always, or never
  --weights FILE       a safetensors file to read instead of the default: a name in --model
                       (e.g. model.bf16.safetensors) or a path relative to it
  -h, --help           show this help

Each option is given once.
`;

/** Printed under a usage error, in place of the whole usage. */
export const USAGE_HINT = usageHint("ssb-export-onnx");

/** A mistake in the command line (exit 2): @ssb/cli-kit's UsageError, under this package's older name. */
export { CliUsageError };

export function parseExportArgs(argv: string[]): ExportOnnxOptions | "help" {
  // parseArgs' refusals said as one line: an unknown flag with the likely intended one, `--seed -1` told to
  // write --seed=-1, ...
  const parsed = parseCommandLine(() => parse(argv), OPTIONS, argv);
  const v = parsed.values;
  if (v.help) return "help";
  // parseArgs keeps the last of a repeated flag; `--out a --out b` is more likely an edited command line.
  refuseRepeatedOptions(parsed.tokens ?? [], OPTIONS);
  if (v.model === undefined) throw new CliUsageError("--model DIR is required");
  if (v.out === undefined) throw new CliUsageError("--out DIR is required");
  // An empty value (`--out "$OUT"` with OUT unset) would name the current folder or fail later with a bare
  // `mkdir ''`: a usage error naming the flag instead.
  for (const name of ["model", "out", "adapter", "weights"] as const) {
    if (v[name] === "") throw new CliUsageError(`--${name} is empty; give a path`);
  }
  const variant = v.variant ?? "plain";
  if (variant !== "plain" && variant !== "contrib") {
    throw new CliUsageError(`--variant must be plain or contrib, found "${variant}"`);
  }
  const dtype = v.dtype ?? "f32";
  if (dtype !== "f32") throw new CliUsageError(`--dtype: only f32 is supported, found "${dtype}"`);
  const externalFlag = v["external-data"] ?? "auto";
  const externalData = { auto: "auto", always: true, never: false } as const;
  if (!(externalFlag in externalData)) {
    throw new CliUsageError(`--external-data must be auto, always or never, found "${externalFlag}"`);
  }
  const options: ExportOnnxOptions = {
    modelDir: v.model,
    outDir: v.out,
    variant: variant as DecoderVariant,
    dtype,
    externalData: externalData[externalFlag as keyof typeof externalData],
  };
  if (v.adapter !== undefined) options.adapterDir = v.adapter;
  if (v.weights !== undefined) options.weightsFile = v.weights;
  return options;
}

const OPTIONS = {
  model: { type: "string" },
  out: { type: "string" },
  adapter: { type: "string" },
  variant: { type: "string" },
  dtype: { type: "string" },
  "external-data": { type: "string" },
  weights: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

function parse(argv: string[]) {
  return parseArgs({ args: argv, strict: true, allowPositionals: false, tokens: true, options: OPTIONS });
}

/**
 * --model and --adapter name folders; a file there (the safetensors file itself, say) would fail with ENOTDIR on
 * "<file>/config.json". Says which flag and what to give instead, or null.
 */
function givenFileForFolder(options: ExportOnnxOptions): string | null {
  const isFile = (p: string): boolean => {
    try {
      return statSync(p).isFile();
    } catch {
      return false; // missing: the export says which file it could not read
    }
  };
  if (isFile(options.modelDir)) {
    return `--model ${options.modelDir} is a file; give the checkpoint folder that holds config.json (--weights FILE picks a safetensors file in it)`;
  }
  if (options.adapterDir !== undefined && isFile(options.adapterDir)) {
    return `--adapter ${options.adapterDir} is a file; give the adapter folder that holds adapter_config.json and adapter_model.safetensors`;
  }
  return null;
}

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

const defaultIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/**
 * Runs the command; returns the process exit code (0 ok, 1 failure, 2 usage error, 130 stopped). `signal`
 * stops it; without one, Ctrl-C and SIGTERM do.
 */
export async function runExportCli(
  argv: string[],
  io: CliIo = defaultIo,
  signal?: AbortSignal,
): Promise<number> {
  let options: ExportOnnxOptions | "help";
  try {
    options = parseExportArgs(argv);
  } catch (error) {
    if (!(error instanceof CliUsageError)) throw error;
    // Not the whole usage: it would scroll the one line that says what is wrong out of sight.
    io.stderr(`ssb-export-onnx: ${error.message}\n${USAGE_HINT}\n`);
    return 2;
  }
  if (options === "help") {
    io.stdout(EXPORT_USAGE);
    return 0;
  }
  const fileGiven = givenFileForFolder(options);
  if (fileGiven !== null) {
    io.stderr(`ssb-export-onnx: ${fileGiven}\n${USAGE_HINT}\n`);
    return 2;
  }
  // One line per 10% (plain lines, so logs and non-TTY output stay readable).
  let reported = -1;
  options.onProgress = (done, total, name) => {
    const tenth = Math.floor((10 * done) / total);
    if (tenth !== reported) {
      reported = tenth;
      io.stderr(`writing weights: ${done}/${total} (${name})\n`);
    }
  };
  options.warn = (message) => io.stderr(`ssb-export-onnx: ${message}\n`);
  // Without a listener Node would exit midway with no word on what was left (the output folder is safe either
  // way: see export-stage.ts). A second signal exits at once.
  const stop = signal ? { signal, dispose: () => {} } : stopOnSignals();
  options.signal = stop.signal;
  try {
    const result = await exportOnnx(options);
    io.stdout(
      describeExportResult(result)
        .map((line) => `${line}\n`)
        .join(""),
    );
    return 0;
  } catch (error) {
    if (stop.signal.aborted) {
      io.stderr(
        `ssb-export-onnx: stopped before the export finished; ${options.outDir} holds what it held before ` +
          "(this export's partial files are removed). Run the same command again to export.\n",
      );
      return 130;
    }
    const refusal = exportOutRefusal(error);
    if (refusal !== null) {
      io.stderr(`ssb-export-onnx: ${refusal.message}\n`);
      return refusal.usage ? 2 : 1;
    }
    io.stderr(`ssb-export-onnx: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    stop.dispose();
  }
}
