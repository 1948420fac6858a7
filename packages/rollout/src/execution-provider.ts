/**
 * Execution providers by name. onnxruntime-node ships the CPU and WebGPU providers in its package; the CUDA
 * provider is a separate download its install script fetches (from NuGet, outside the npm registry), so a
 * machine installed offline or with install scripts disabled has no CUDA even when it has a GPU.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { RolloutError } from "./errors.js";

export type ExecutionProviderName = "cpu" | "cuda" | "webgpu" | "auto";
export const EXECUTION_PROVIDERS: readonly ExecutionProviderName[] = ["cpu", "cuda", "webgpu", "auto"];

export interface SessionSettings {
  /** Default "cpu". "auto" tries CUDA and falls back to CPU with a warning. */
  executionProvider?: ExecutionProviderName;
  /** Threads inside one operator (onnxruntime's default: one per physical core). */
  intraOpThreads?: number;
  /** Threads across independent operators (only used with parallel execution). */
  interOpThreads?: number;
  /** Called with fallback warnings (default: console.warn). */
  warn?: (message: string) => void;
}

/** Where onnxruntime-node keeps its native libraries on this platform. */
function nativeDir(): string | null {
  try {
    const require = createRequire(import.meta.url);
    const pkg = path.dirname(require.resolve("onnxruntime-node/package.json"));
    return path.join(pkg, "bin", "napi-v6", process.platform, process.arch);
  } catch {
    return null;
  }
}

/** True when the CUDA provider library is present beside onnxruntime's binding. */
export function cudaProviderInstalled(): boolean {
  const dir = nativeDir();
  if (!dir) return false;
  const lib =
    process.platform === "win32" ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
  return existsSync(path.join(dir, lib));
}

export const CUDA_MISSING = `the CUDA execution provider is not installed: onnxruntime-node ships CPU (and WebGPU) only and downloads libonnxruntime_providers_cuda.so from NuGet in its install script, which did not run here (pnpm skips it unless onnxruntime-node is in onlyBuiltDependencies). On a Linux x64 machine with CUDA 12 + cuDNN 9 and network access, run: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install.js (or add onnxruntime-node to onlyBuiltDependencies and reinstall)`;

/** Where a session's warnings go: `settings.warn`, else console.warn. */
export function warnerOf(settings: SessionSettings): (message: string) => void {
  return settings.warn ?? ((m: string) => console.warn(m));
}

/** onnxruntime-node's version and the execution providers its binding lists (`bundled`: shipped in its package). */
export function onnxRuntimeInfo(): { version: string; providers: { name: string; bundled: boolean }[] } {
  let providers: { name: string; bundled: boolean }[];
  try {
    providers = ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
  } catch {
    // A binding without the listing: the CPU provider is always there.
    providers = [{ name: "cpu", bundled: true }];
  }
  return { version: ort.env.versions.node ?? ort.env.versions.common, providers };
}

function supported(name: string): boolean {
  try {
    return ort.listSupportedBackends().some((b) => b.name === name);
  } catch {
    return false;
  }
}

function baseOptions(settings: SessionSettings): ort.InferenceSession.SessionOptions {
  const options: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: "all" };
  if (settings.intraOpThreads !== undefined) options.intraOpNumThreads = settings.intraOpThreads;
  if (settings.interOpThreads !== undefined) options.interOpNumThreads = settings.interOpThreads;
  return options;
}

export interface OpenedSession {
  session: ort.InferenceSession;
  /** The provider actually used. */
  executionProvider: "cpu" | "cuda" | "webgpu";
}

/**
 * A model to open: a file, or serialized bytes with the folder its external-data paths are relative to
 * (a model rewritten in memory, see DecoderSession); the bytes may depend on the provider being tried.
 */
export type ModelSource =
  | string
  | {
      bytes: Uint8Array | ((ep: "cpu" | "cuda" | "webgpu") => Uint8Array);
      dir: string;
      /** Where the provider should leave outputs (onnxruntime's preferredOutputLocation); default host. */
      outputLocation?: (
        ep: "cpu" | "cuda" | "webgpu",
      ) => ort.InferenceSession.SessionOptions["preferredOutputLocation"];
    };

async function create(
  source: ModelSource,
  ep: "cpu" | "cuda" | "webgpu",
  settings: SessionSettings,
): Promise<ort.InferenceSession> {
  const options = baseOptions(settings);
  options.executionProviders = ep === "cpu" ? ["cpu"] : [ep, "cpu"];
  if (typeof source === "string") return ort.InferenceSession.create(source, options);
  options.extra = { session: { model_external_initializers_file_folder_path: source.dir } };
  const location = source.outputLocation?.(ep);
  if (location !== undefined) options.preferredOutputLocation = location;
  const bytes = typeof source.bytes === "function" ? source.bytes(ep) : source.bytes;
  return ort.InferenceSession.create(bytes, options);
}

/**
 * What an NVIDIA Linux machine lacked when the adapter was missing (seen on a lent H200 whose image had the
 * driver but no Vulkan loader): Dawn dlopens libvulkan.so.1, and NVIDIA's Vulkan driver is libGLX_nvidia.so.0,
 * which failed to load until libglvnd's and X11's client libraries were installed beside it.
 */
const WEBGPU_LINUX_HINT =
  "On Linux that means the Vulkan loader libvulkan.so.1 (Debian/Ubuntu package libvulkan1) and the GPU's Vulkan driver; NVIDIA's (libGLX_nvidia.so.0) loads only beside libglvnd and the X11 client libraries (packages libglvnd0 libglx0 libegl1 libx11-6 libxext6).";

const reason = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Open a model on the configured provider; unavailable providers fail with what is missing and how to get it. */
export async function openSession(file: ModelSource, settings: SessionSettings = {}): Promise<OpenedSession> {
  const ep = settings.executionProvider ?? "cpu";
  const warn = warnerOf(settings);
  for (const [name, value] of [
    ["intraOpThreads", settings.intraOpThreads],
    ["interOpThreads", settings.interOpThreads],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0)) {
      throw new RolloutError(`${name} must be an integer >= 0 (0 = onnxruntime's default), found ${value}`);
    }
  }
  if (!EXECUTION_PROVIDERS.includes(ep)) {
    throw new RolloutError(
      `execution provider must be one of ${EXECUTION_PROVIDERS.join(", ")}, found "${ep}"`,
    );
  }
  if (ep === "cpu") return { session: await create(file, "cpu", settings), executionProvider: "cpu" };
  if (ep === "cuda" || ep === "auto") {
    let why: string;
    if (!cudaProviderInstalled()) why = CUDA_MISSING;
    else {
      try {
        return { session: await create(file, "cuda", settings), executionProvider: "cuda" };
      } catch (e) {
        why = `the CUDA execution provider failed to start (${reason(e)}); it needs an NVIDIA driver, CUDA 12 and cuDNN 9 libraries on the library path`;
      }
    }
    if (ep === "cuda")
      throw new RolloutError(`--ep cuda: ${why}. Use --ep cpu, or --ep auto to fall back to CPU.`);
    warn(`warning: --ep auto: ${why}; falling back to CPU`);
    return { session: await create(file, "cpu", settings), executionProvider: "cpu" };
  }
  // webgpu
  if (!supported("webgpu")) {
    throw new RolloutError(
      `--ep webgpu: this onnxruntime-node build has no WebGPU provider (it ships on Windows, macOS and Linux x64 from 1.22); use --ep cpu`,
    );
  }
  try {
    return { session: await create(file, "webgpu", settings), executionProvider: "webgpu" };
  } catch (e) {
    throw new RolloutError(
      `--ep webgpu: the WebGPU provider failed to start (${reason(e)}); it needs a GPU with a Vulkan (Linux), Metal or D3D12 driver. ${WEBGPU_LINUX_HINT} Use --ep cpu`,
    );
  }
}
