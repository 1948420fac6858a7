/** `ssb`: argument handling and dispatch; returns the exit code (0 ok, 1 failure, 2 usage error). */
import { parseArgs } from "node:util";
import { checkPath, usageHint } from "@ssb/cli-kit";
import { type CliOptions, parseCommandLine, refuseRepeatedOptions } from "./cli-args.js";
import {
  type CommandIo,
  curateCommand,
  distillCommand,
  evalCommand,
  exportCommand,
  rolloutCommand,
  UsageError,
  verifyCommand,
} from "./commands.js";
import { doctorCommand } from "./doctor-command.js";
import { ConfigError, loadConfig } from "./load-config.js";
import { nothingTrainedWarning } from "./nothing-trained.js";
import { createReporter, warnLine } from "./reporter.js";
import { runPipeline } from "./run-pipeline.js";
import { isStageName, STAGES } from "./stages.js";
import { summaryJson, summaryTable } from "./summary-table.js";

export const USAGE = `Usage: ssb <command> [options]

Commands:
  run [CONFIG]     the whole pipeline (problems → rollout → curate → distill → eval → report) from a JSON or
                   YAML config; without CONFIG, the embedded default on the in-repo model
  rollout          sample K replies per problem (ssb rollout --help)
  curate           pairs + teacher replies with top-k logit capture
  distill          LoRA knowledge distillation from pairs + logits
  eval             evaluate a model (+ adapter) on held-out problems, compare with the base
  verify           grade responses against gold answers
  export-onnx      HF checkpoint (+ adapter) → ONNX decoder
  doctor           what this machine can run: execution providers, training backends (ssb doctor --help)
  --version        print the version (every ssb-* command takes it too)

ssb run options:
  --work DIR       work directory (default: the config's workDir, "ssb-run")
  --from STAGE     restart at STAGE (${STAGES.join(", ")}): its outputs and all later ones are deleted
  --json           print a JSON summary on stdout instead of the table
  --quiet          no progress output
  -h, --help       show this help
`;

export interface MainIo {
  stdout: (text: string) => void;
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

const defaultIo: MainIo = { stdout: (t) => process.stdout.write(t), stderr: process.stderr };

// `from` before `work`: cli-kit's closestKey counts a swap of two letters as two edits and takes the first of
// equally close keys, so `--form` (two edits from both) is suggested as --from only in this order.
const RUN_OPTIONS = {
  from: { type: "string" },
  work: { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} satisfies CliOptions;

async function runCommand(argv: string[], io: MainIo): Promise<number> {
  const { values, positionals, tokens } = parseCommandLine(
    () => parseArgs({ args: argv, allowPositionals: true, tokens: true, options: RUN_OPTIONS }),
    RUN_OPTIONS,
    argv,
  );
  refuseRepeatedOptions(tokens, RUN_OPTIONS);
  if (values.help) {
    io.stdout(USAGE);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError(`run takes one config file, got ${positionals.join(" ")}`);
  const from = values.from;
  if (from !== undefined && !isStageName(from)) {
    throw new UsageError(`--from: unknown stage "${from}" (stages: ${STAGES.join(", ")})`);
  }
  const configFile = positionals[0];
  if (configFile !== undefined) checkPath(configFile, "file");
  const { config, file, source } = loadConfig(configFile);
  const reporter = createReporter(io.stderr, values.quiet === true);
  const workDir = values.work ?? config.workDir;
  // Every stage writes its records durably as it goes and resumes from them (as after a kill), so Ctrl-C
  // only has to say so.
  const onSignal = (signal: NodeJS.Signals): void => {
    io.stderr.write(
      `\nssb run: ${signal}: stopped; finished stages and the records of the one running are kept in ${workDir}; rerun the same command to continue\n`,
    );
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let result: Awaited<ReturnType<typeof runPipeline>>;
  try {
    result = await runPipeline({
      config,
      configFile: file,
      configSource: source,
      workDir,
      ...(from !== undefined ? { from } : {}),
      reporter,
      progress: values.quiet !== true,
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  io.stdout(values.json ? `${JSON.stringify(summaryJson(result), null, 2)}\n` : summaryTable(result));
  const nothingTrained = nothingTrainedWarning(result.stages);
  if (nothingTrained !== null) warnLine(reporter, nothingTrained);
  return 0;
}

/** The subcommands, each with its own --help. */
const COMMANDS: readonly string[] = [
  "run",
  "rollout",
  "curate",
  "distill",
  "eval",
  "verify",
  "export-onnx",
  "doctor",
];

export async function main(argv: string[], io: MainIo = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  const commandIo: CommandIo = { stdout: io.stdout, reporter: createReporter(io.stderr) };
  try {
    switch (command) {
      case undefined:
      case "-h":
      case "--help":
      case "help":
        io.stdout(USAGE);
        return command === undefined ? 2 : 0;
      case "run":
        return await runCommand(rest, io);
      case "rollout":
        return await rolloutCommand(rest);
      case "curate":
        return await curateCommand(rest, commandIo);
      case "distill":
        return await distillCommand(rest, commandIo);
      case "eval":
        return await evalCommand(rest, commandIo);
      case "verify":
        return await verifyCommand(rest, io);
      case "export-onnx":
        return await exportCommand(rest, commandIo);
      case "doctor":
        return await doctorCommand(rest, io);
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const usage =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith("ERR_PARSE_ARGS");
    io.stderr.write(`ssb: ${message}\n`);
    if (usage) {
      // The command's own help, where the flags it was given wrong are described, in every ssb CLI's words.
      const program = command !== undefined && COMMANDS.includes(command) ? `ssb ${command}` : "ssb";
      io.stderr.write(`${usageHint(program)}\n`);
      return 2;
    }
    if (!(error instanceof ConfigError) && process.env.SSB_DEBUG)
      io.stderr.write(`${(error as Error).stack}\n`);
    return 1;
  }
}
