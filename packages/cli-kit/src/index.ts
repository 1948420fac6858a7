export { closestKey, refuseUnknownOptions } from "./closest-key.js";
export {
  type ErrorStream,
  parseCommandLine,
  refuseRepeatedOptions,
  reportCliError,
  UsageError,
  usageHint,
} from "./command-line.js";
export { formatDuration } from "./duration.js";
export { explainParseError } from "./parse-error.js";
export { checkPath, type PathCheckOptions, type PathKind } from "./path-check.js";
export {
  createProgressBar,
  type ProgressBar,
  type ProgressBarOptions,
  type ProgressStream,
  silentProgressBar,
} from "./progress-bar.js";
export { type ProgressState, progressLine } from "./progress-line.js";
export { type ArgToken, type OptionSpec, repeatedOptionMessage } from "./repeated-options.js";
export { withSisterFlags } from "./sister-flags.js";
export { type SignalStop, stopOnSignals } from "./stop-signals.js";
export { packageVersionLine, printVersion, type VersionStream } from "./version.js";
