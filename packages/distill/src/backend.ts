/**
 * Backend selection. tfjs-node-gpu / tfjs-node bundle libtensorflow, which their install scripts download;
 * they are therefore optional and only picked up when someone installed them. The wasm backend (XNNPACK, SIMD)
 * is the working CPU backend; the pure-JS cpu backend (~20x slower than wasm) is the last resort.
 */
import { tf } from "./tf.js";
import { installWasmKernels } from "./wasm-kernels.js";

export type BackendName = "tensorflow-gpu" | "tensorflow" | "wasm" | "cpu";
export type BackendPreference = "auto" | "tfjs-node-gpu" | "tfjs-node" | "wasm" | "cpu";

/** Every BackendPreference, in the order a help text lists them. */
export const BACKEND_PREFERENCES: readonly BackendPreference[] = [
  "auto",
  "tfjs-node-gpu",
  "tfjs-node",
  "wasm",
  "cpu",
];

export interface BackendInfo {
  /** tfjs' name for the backend in use ("tensorflow" for both tfjs-node packages). */
  backend: string;
  /** Which package provides it. */
  provider: BackendPreference;
  /** Human-readable one-liner, printed at start. */
  description: string;
}

/** Why an optional package could not be imported: not installed, or installed and failing to load. */
async function importFailure(specifier: string): Promise<string | null> {
  try {
    // A variable specifier keeps bundlers from resolving the optional package at build time.
    await import(/* @vite-ignore */ specifier);
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const missing =
      (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
      String((error as Error).message).includes(specifier);
    return missing ? "not installed" : `failed to load: ${(error as Error).message.split("\n")[0]}`;
  }
}

/**
 * What to run for a tfjs-node package, pinned to the tfjs this package runs: the native backends register
 * into that tfjs, and another major version does not.
 */
function installHint(pkg: string): string {
  return `npm install ${pkg}@${tf.version_core} (its install script downloads libtensorflow${pkg.endsWith("-gpu") ? "; the GPU build also needs the CUDA and cuDNN versions tfjs-node's README lists" : ""})`;
}

async function activate(name: string): Promise<boolean> {
  try {
    return (await tf.setBackend(name)) && tf.getBackend() === name;
  } catch {
    return false;
  }
}

/** The selection in progress, if any: the next one waits for it (see selectBackend). */
let selecting: Promise<unknown> = Promise.resolve();

/**
 * Pick the fastest available backend: tfjs-node-gpu → tfjs-node → wasm → cpu (or the one asked for).
 * `log` receives one line naming what is in use. Calls run one after another: two at once (two runs started
 * together in one process) had the second's tf.setBackend find the first's initialisation pending and fail
 * with "no tfjs backend could be started".
 */
export function selectBackend(
  preference: BackendPreference = "auto",
  log: (line: string) => void = (line) => console.error(line),
): Promise<BackendInfo> {
  const next = selecting.then(
    () => selectNow(preference, log),
    () => selectNow(preference, log),
  );
  selecting = next.catch(() => undefined);
  return next;
}

async function selectNow(preference: BackendPreference, log: (line: string) => void): Promise<BackendInfo> {
  const known: readonly string[] = BACKEND_PREFERENCES;
  // An unknown name would otherwise fall through to the pure-JS cpu backend, ~20x slower, without a word.
  if (!known.includes(preference))
    throw new Error(`unknown tfjs backend "${preference}" (use one of ${known.join(", ")})`);
  const order: BackendPreference[] =
    preference === "auto" ? ["tfjs-node-gpu", "tfjs-node", "wasm", "cpu"] : [preference];
  // Why each native backend was passed over: said when it was asked for by name, and in auto mode when it is
  // installed but broken (a silent fall back to wasm would hide a GPU build that no longer loads).
  const reasons: string[] = [];
  for (const candidate of order) {
    if (candidate === "tfjs-node-gpu" || candidate === "tfjs-node") {
      const pkg = `@tensorflow/${candidate}`;
      const failure = await importFailure(pkg);
      if (failure === null && (await activate("tensorflow"))) {
        return done({ backend: "tensorflow", provider: candidate, description: `${pkg} (libtensorflow)` });
      }
      const reason = failure ?? 'loaded, but tfjs could not start its "tensorflow" backend';
      if (preference !== "auto") reasons.push(`${pkg}: ${reason}; ${installHint(pkg)}`);
      else if (failure !== "not installed") log(`[distill] ${pkg} is installed but passed over: ${reason}`);
    } else if (candidate === "wasm") {
      await importFailure("@tensorflow/tfjs-backend-wasm");
      if (await activate("wasm")) {
        installWasmKernels();
        const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
        const threads = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
        return done({
          backend: "wasm",
          provider: "wasm",
          description: `@tensorflow/tfjs-backend-wasm (XNNPACK, SIMD ${simd ? "on" : "off"}, ${threads ? "multi" : "single"}-threaded)`,
        });
      }
    } else if (await activate("cpu")) {
      return done({ backend: "cpu", provider: "cpu", description: "@tensorflow/tfjs cpu (pure JS, slow)" });
    }
  }
  throw new Error(
    `no tfjs backend could be started (asked for "${preference}")${reasons.length > 0 ? `: ${reasons.join("; ")}` : ""}`,
  );

  function done(info: BackendInfo): BackendInfo {
    log(`[distill] tfjs backend: ${info.description}`);
    selected = info;
    return info;
  }
}

/** What the last selectBackend chose (see activeBackendName). */
let selected: BackendInfo | null = null;

/**
 * The package name of the backend tfjs runs on now, as runTraining records it ("tfjs-node-gpu", "tfjs-node",
 * "wasm", "cpu"): selectBackend's provider while tfjs still runs its backend, else tfjs' own name (which says
 * "tensorflow" for both tfjs-node packages). So train() called directly and runTraining record the same name.
 */
export function activeBackendName(): string {
  const now = tf.getBackend();
  return selected !== null && selected.backend === now ? selected.provider : now;
}
