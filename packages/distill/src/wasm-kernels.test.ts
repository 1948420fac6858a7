import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "./backend.js";
import { tf } from "./tf.js";
import { installWasmKernels, restoreStockWasmKernels, wasmKernelsInstalled } from "./wasm-kernels.js";

beforeAll(async () => {
  await selectBackend("wasm", () => {});
});
afterAll(() => installWasmKernels());

/** Run `f` with tfjs' stock kernels and with ours; return both results as plain arrays. */
function both<T>(f: () => T, read: (value: T) => unknown): { stock: unknown; ours: unknown } {
  restoreStockWasmKernels();
  expect(wasmKernelsInstalled()).toBe(false);
  const stock = read(f());
  installWasmKernels();
  expect(wasmKernelsInstalled()).toBe(true);
  const ours = read(f());
  return { stock, ours };
}

const arange = (shape: number[]) =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i * 0.5 - 3),
    shape,
  );
const values = (ts: tf.Tensor[]) => ts.map((t) => ({ shape: t.shape, data: Array.from(t.dataSync()) }));

describe("faster wasm kernels", () => {
  it("selectBackend installs them", () => {
    expect(tf.getBackend()).toBe("wasm");
    expect(wasmKernelsInstalled()).toBe(true);
  });

  it.each([0, 1, 2, -1])("unstack along axis %i equals the stock kernel", (axis) => {
    const x = arange([3, 4, 5]);
    const { stock, ours } = both(() => tf.unstack(x, axis), values);
    expect(ours).toEqual(stock);
  });

  it.each([
    [[2, 3, 8], 2, -1],
    [[6, 4], 3, 0],
    [[6, 4], [1, 3], 1],
    [[2, 6, 2], [2, 1, 3], 1],
  ] as [number[], number | number[], number][])(
    "split %j into %j along %i equals the stock kernel",
    (shape, splits, axis) => {
      const x = arange(shape);
      const { stock, ours } = both(() => tf.split(x, splits, axis), values);
      expect(ours).toEqual(stock);
    },
  );

  it.each([
    [
      [8, 6],
      [2, 0],
      [3, 6],
    ],
    [
      [8, 6],
      [2, 1],
      [3, 4],
    ],
    [
      [4, 5, 6],
      [1, 0, 0],
      [2, 5, 6],
    ],
    [
      [4, 5, 6],
      [1, 2, 0],
      [1, 2, 6],
    ],
    [
      [4, 5, 6],
      [1, 2, 3],
      [2, 2, 2],
    ],
    [
      [4, 5, 6],
      [0, 0, 0],
      [4, 5, 6],
    ],
  ])("slice %j from %j size %j equals the stock kernel", (shape, begin, size) => {
    const x = arange(shape);
    const { stock, ours } = both(() => [tf.slice(x, begin, size)], values);
    expect(ours).toEqual(stock);
  });

  it("int32 and bool tensors split and slice the same", () => {
    const ints = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2], "int32");
    const bools = tf.tensor1d([true, false, true, true], "bool");
    const { stock, ours } = both(
      () => [...tf.unstack(ints), tf.slice(bools, [1], [2]), ...tf.split(ints, [1, 2], 0)],
      (ts) => ts.map((t) => ({ dtype: t.dtype, shape: t.shape, data: Array.from(t.dataSync()) })),
    );
    expect(ours).toEqual(stock);
  });

  it("a clone shares the data yet outlives its source", () => {
    const x = arange([4, 4]);
    const copy = tf.clone(x);
    const expected = Array.from(x.dataSync());
    x.dispose();
    expect(Array.from(copy.dataSync())).toEqual(expected);
    copy.dispose();
  });

  it("gradients through unstack, split and slice are unchanged", () => {
    const x = arange([4, 3, 6]);
    const loss = (t: tf.Tensor) => {
      const [a, b] = tf.split(t, 2, -1) as [tf.Tensor, tf.Tensor];
      const rows = tf.unstack(tf.mul(a, tf.sin(b)));
      const picked = tf.slice(rows[1] as tf.Tensor, [1, 0], [2, 3]);
      return tf.add(tf.sum(tf.square(picked)), tf.sum(rows[3] as tf.Tensor));
    };
    const { stock, ours } = both(
      () => [tf.grad(loss)(x)],
      (ts) => values(ts),
    );
    expect(ours).toEqual(stock);
  });
});
