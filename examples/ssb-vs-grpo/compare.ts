/**
 * One command for the comparison of issue 11: base, SSB and GRPO on the same training problems, evaluated on
 * the same held-out problems with the same sampler, into one report.
 *
 *   pnpm --filter @ssb/examples compare [--config examples/ssb-vs-grpo/config.yaml] [--out DIR] [--model DIR]
 *
 * Relative paths are taken from the folder the command was typed in (pnpm's INIT_CWD).
 *
 * Progress goes to stderr; the report's paths and the table's headline numbers to stdout. Rerunning the same
 * command continues where it stopped (finished stages are skipped).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createReporter } from "@ssb/cli";
import { formatPercent } from "@ssb/eval";
import { CompareConfigError, loadCompareConfig } from "./compare-config.js";
import { type ComparisonResult, runComparison } from "./run-comparison.js";

/** The command line itself is wrong (an unknown flag, a flag without its value): exit status 2, as ssb's commands. */
export class CompareUsageError extends CompareConfigError {}

/** One line saying what is wrong and where the options are, as ssb's commands report a usage error. */
const usageError = (problem: string): CompareUsageError =>
  new CompareUsageError(`${problem}\nRun "pnpm --filter @ssb/examples compare --help" for the options.`);

/** Exit status for an error: 2 for a usage error, 1 for anything else (a bad config, a failed stage). */
export function exitCodeFor(error: unknown): number {
  return error instanceof CompareUsageError ? 2 : 1;
}

export const USAGE = `usage: pnpm --filter @ssb/examples compare [--config FILE] [--out DIR] [--model DIR] [--quiet]

Base, SSB and GRPO trained on the same problems and evaluated on the same held-out problems, into one report
(the defaults: ~33 minutes of stage wall time on a shared 2-core machine). Ctrl-C stops it; the same command
continues it. Relative paths are taken from the folder you type the command in.

  --config FILE  JSON or YAML comparison config (default: the built-in defaults, written out in examples/ssb-vs-grpo/config.yaml)
  --out DIR      output folder (default: the config's workDir, "ssb-vs-grpo-run")
  --model DIR    HF checkpoint folder instead of the config's model (default: the embedded default model)
  --quiet        no progress output`;

export interface CompareIo {
  stdout: (text: string) => void;
  stderr: { write(text: string): unknown; isTTY?: boolean; columns?: number };
  /** Shown in the report as the command that was run. */
  command?: string;
  /** Folder that relative --config / --out / --model paths resolve against (default: the current directory). */
  cwd?: string;
}

export interface ParsedArgs {
  config?: string;
  out?: string;
  model?: string;
  quiet: boolean;
  help: boolean;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const out: ParsedArgs = { quiet: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    // npm's separator, which pnpm passes on (`pnpm --filter @ssb/examples compare -- --out x`): not an argument.
    if (arg === "--" && i === 0) continue;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw usageError(`${arg} needs a value`);
      return v;
    };
    if (arg === "--config") out.config = value();
    else if (arg === "--out") out.out = value();
    else if (arg === "--model") out.model = value();
    else if (arg === "--quiet") out.quiet = true;
    else if (arg === "--help" || arg === "-h") out.help = true;
    else throw usageError(`unknown argument ${JSON.stringify(arg)}`);
  }
  return out;
}

/** Run the comparison; returns null after --help. Errors are thrown (the entry point prints them). */
export async function main(argv: readonly string[], io: CompareIo): Promise<ComparisonResult | null> {
  const args = parseArgs(argv);
  if (args.help) {
    io.stdout(`${USAGE}\n`);
    return null;
  }
  const cwd = io.cwd ?? process.cwd();
  const loaded = loadCompareConfig(args.config === undefined ? undefined : path.resolve(cwd, args.config));
  if (args.model !== undefined) loaded.config.model = path.resolve(cwd, args.model);
  const outDir = path.resolve(cwd, args.out ?? loaded.config.workDir);
  const reporter = createReporter(io.stderr, args.quiet);
  const result = await runComparison({
    resolved: loaded,
    configFile: loaded.file,
    outDir,
    command: io.command ?? ["compare", ...argv].join(" "),
    reporter,
    progress: !args.quiet,
  });
  const r = result.report;
  const line = (name: string) => {
    const row = r.rows.find((x) => x.name === name);
    return row ? `${name} ${formatPercent(row.pass1.estimate)}%` : name;
  };
  io.stdout(
    `pass@1 on ${r.protocol.evalProblems} held-out problems: ${["base", "GRPO", "SSB"].map(line).join(", ")}; ` +
      `SSB − GRPO ${formatPercent(r.ssbVsGrpo.difference.estimate)} points ` +
      `[${formatPercent(r.ssbVsGrpo.difference.lower)}, ${formatPercent(r.ssbVsGrpo.difference.upper)}]\n` +
      `report: ${result.files.markdown}\n`,
  );
  return result;
}

const invoked = process.argv[1] ? path.resolve(process.argv[1]) : "";
if (invoked === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  // Every stage writes its records durably and resumes from them, as `ssb run` does, so Ctrl-C only has to say so.
  const onSignal = (signal: NodeJS.Signals): void => {
    process.stderr.write(
      `\ncompare: ${signal}: stopped; what finished is kept in the output folder; rerun the same command to continue\n`,
    );
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  main(argv, {
    stdout: (t) => process.stdout.write(t),
    stderr: process.stderr,
    command: `pnpm --filter @ssb/examples compare${argv.length ? ` ${argv.join(" ")}` : ""}`,
    // `pnpm --filter` runs the script inside examples/; INIT_CWD is where the user typed the command.
    cwd: process.env.INIT_CWD ?? process.cwd(),
  }).catch((e: unknown) => {
    process.stderr.write(`compare: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = exitCodeFor(e);
  });
}
