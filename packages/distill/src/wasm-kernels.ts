/**
 * Faster JavaScript-side kernels for the wasm backend, measured on a LoRA KD step (bench/profile.ts).
 *
 * tfjs-backend-wasm 4.22 implements Slice, Unpack and SplitV in JavaScript on top of `backend.readSync`, which
 * copies the *whole* input out of the wasm heap for every output: unstacking 16 attention heads copied the
 * tensor 16 times, ~6% of a 25M-parameter training step. And Identity (which the engine runs on every input
 * it saves for the backward pass) copies the data, ~3% more. The replacements read the heap in place and copy
 * only what each output holds; Identity shares the data by reference count, as the backend's own Reshape does.
 * Outputs are bit-identical to the stock kernels (wasm-kernels.test.ts).
 */
import { tf } from "./tf.js";

/** The slice of the wasm backend these kernels use (public methods of BackendWasm). */
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(dataId: object): void;
}

type KernelArgs = Parameters<tf.KernelFunc>[0];

/** The stock kernels replaced, to put back (the benchmark measures both in one run). */
const stockKernels = new Map<string, tf.KernelConfig>();

/** Is the copy of `size` out of `shape` starting at `begin` one contiguous run of memory? */
function contiguousRun(shape: readonly number[], begin: readonly number[], size: readonly number[]): boolean {
  // Contiguous when, after the first axis that is not taken whole (from the right), every axis to its left
  // has size 1.
  let i = shape.length - 1;
  while (i >= 0 && begin[i] === 0 && size[i] === shape[i]) i--;
  for (let j = i - 1; j >= 0; j--) if (size[j] !== 1) return false;
  return true;
}

function flatOffset(shape: readonly number[], begin: readonly number[]): number {
  let offset = 0;
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    offset += (begin[i] as number) * stride;
    stride *= shape[i] as number;
  }
  return offset;
}

/**
 * Pieces of `x` along `axis` with the given sizes, each copied straight from the heap: x is viewed as
 * [outer, axisLength * inner] and piece p takes, from every outer row, a run of size_p * inner values.
 */
function splitAlong(backend: WasmBackend, x: tf.TensorInfo, axis: number, sizes: number[]): tf.TensorInfo[] {
  const shape = x.shape;
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const rowLength = (shape[axis] as number) * inner;
  // Allocate every output first: an allocation can grow the heap, which detaches earlier views.
  const outs = sizes.map((s) => {
    const outShape = [...shape];
    outShape[axis] = s;
    return backend.makeOutput(outShape, x.dtype);
  });
  const source = backend.typedArrayFromHeap(x);
  let start = 0;
  outs.forEach((out, p) => {
    const run = (sizes[p] as number) * inner;
    const target = backend.typedArrayFromHeap(out);
    if (outer === 1) target.set(source.subarray(start, start + run));
    else
      for (let o = 0; o < outer; o++) {
        const from = o * rowLength + start;
        target.set(source.subarray(from, from + run), o * run);
      }
    start += run;
  });
  return outs;
}

function identity({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  (backend as unknown as WasmBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function unpack({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const value = inputs.value as tf.TensorInfo;
  const rank = value.shape.length;
  const axis = ((attrs?.axis as number) + rank) % rank;
  const count = value.shape[axis] as number;
  const pieces = splitAlong(backend as unknown as WasmBackend, value, axis, new Array(count).fill(1));
  const outShape = value.shape.filter((_, i) => i !== axis);
  return pieces.map((p) => ({ dataId: p.dataId, dtype: p.dtype, shape: outShape }));
}

function splitV({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const x = inputs.x as tf.TensorInfo;
  const axis = tf.util.parseAxisParam(attrs?.axis as number, x.shape)[0] as number;
  const sizes = tf.backend_util.prepareSplitSize(
    x as tf.Tensor,
    attrs?.numOrSizeSplits as number | number[],
    axis,
  );
  return splitAlong(backend as unknown as WasmBackend, x, axis, sizes);
}

/** Contiguous slices straight from the heap; anything else goes to the stock kernel. */
function sliceWith(stock: tf.KernelFunc): tf.KernelFunc {
  return (args: KernelArgs) => {
    const x = args.inputs.x as tf.TensorInfo;
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as tf.Tensor,
      args.attrs?.begin as number[],
      args.attrs?.size as number[],
    ) as [number[], number[]];
    if (x.dtype === "string" || !contiguousRun(x.shape, begin, size)) return stock(args);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(size, x.dtype);
    const start = flatOffset(x.shape, begin);
    const count = size.reduce((a, b) => a * b, 1);
    backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(x).subarray(start, start + count));
    return out;
  };
}

function replace(kernelName: string, make: (stock: tf.KernelFunc) => tf.KernelFunc): void {
  const stock = tf.getKernel(kernelName, "wasm");
  if (!stock) return;
  stockKernels.set(kernelName, stock);
  tf.unregisterKernel(kernelName, "wasm");
  tf.registerKernel({ kernelName, backendName: "wasm", kernelFunc: make(stock.kernelFunc) });
}

/**
 * Install the faster Identity, Slice, Unpack and SplitV kernels for the wasm backend (once per thread; a no-op
 * when the wasm backend is not registered). Call after importing @tensorflow/tfjs-backend-wasm.
 */
export function installWasmKernels(): void {
  if (stockKernels.size > 0 || !tf.getKernel(tf.Identity, "wasm")) return;
  replace(tf.Identity, () => identity as tf.KernelFunc);
  replace(tf.Slice, sliceWith);
  replace(tf.Unpack, () => unpack as tf.KernelFunc);
  replace(tf.SplitV, () => splitV as tf.KernelFunc);
}

/** Put tfjs' own kernels back (for comparing both in one benchmark run). */
export function restoreStockWasmKernels(): void {
  for (const [kernelName, config] of stockKernels) {
    tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel(config);
  }
  stockKernels.clear();
}

/** Whether the faster kernels are in place. */
export function wasmKernelsInstalled(): boolean {
  return stockKernels.size > 0;
}
