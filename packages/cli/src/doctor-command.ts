/** `ssb doctor [--model DIR] [--json]`: runs the checks of doctor.ts and prints them (exit 1 when a pipeline cannot run). */
import { parseArgs } from "node:util";
import { checkPath } from "@ssb/cli-kit";
import { type CliOptions, parseCommandLine, refuseRepeatedOptions, UsageError } from "./cli-args.js";
import { doctorPasses, formatDoctor, runDoctor } from "./doctor.js";

export const DOCTOR_USAGE = `Usage: ssb doctor [--model DIR] [--json]

What this machine can run, found by running it: each onnxruntime execution provider (cpu, webgpu, cuda) loads a
model and decodes 8 greedy tokens, compared with the CPU's; each TensorFlow.js backend (tfjs-node-gpu,
tfjs-node, wasm) is started as ssb distill starts it; a ZSTD logit store is written and read back. It names
the model (folder, parameters, hidden size, layers, vocabulary) and says whether one LoRA step of it fits the
wasm backend's 4 GiB heap at batch 1 and 4 x 256 tokens, by distill's estimate. What fails
says why (a library that is missing, the package to install). Exit 0 when the pipeline can run here, 1 if not.

  --model DIR   an ONNX folder or a Hugging Face checkpoint to probe with (default: the embedded model)
  --json        the checks as JSON on stdout
  -h, --help    show this help
`;

const DOCTOR_OPTIONS = {
  model: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} satisfies CliOptions;

export async function doctorCommand(
  argv: string[],
  io: { stdout: (text: string) => void; stderr: NodeJS.WritableStream & { isTTY?: boolean } },
): Promise<number> {
  const { values, positionals, tokens } = parseCommandLine(
    () => parseArgs({ args: argv, allowPositionals: true, tokens: true, options: DOCTOR_OPTIONS }),
    DOCTOR_OPTIONS,
    argv,
  );
  refuseRepeatedOptions(tokens, DOCTOR_OPTIONS);
  if (values.help) {
    io.stdout(DOCTOR_USAGE);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  const model =
    values.model === undefined ? undefined : checkPath(values.model, "folder", { flag: "--model" });
  const onCheck =
    io.stderr.isTTY && !values.json ? (name: string) => io.stderr.write(`checking ${name}\n`) : undefined;
  const checks = await runDoctor({
    ...(model !== undefined ? { model } : {}),
    ...(onCheck ? { onCheck } : {}),
  });
  io.stdout(values.json ? `${JSON.stringify(checks, null, 2)}\n` : formatDoctor(checks));
  return doctorPasses(checks) ? 0 : 1;
}
