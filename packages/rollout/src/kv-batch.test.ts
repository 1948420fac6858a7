/** The batch KV layout: right-aligned rows, spare capacity columns, gathering and regrowing. */
import { describe, expect, it } from "vitest";
import { allocKv, copyBlocks, gatherKv, type KvGeometry, kvHeadroom, withCapacity } from "./kv-batch.js";

const geom: KvGeometry = { layout: "heads-first", heads: 2, headDim: 3, dtype: "float32", names: ["k"] };

/** A 2-row batch of length 3 in capacity 5; value = 100 * row + 10 * head + column + dim / 10. */
function sample() {
  const kv = allocKv(geom, 2, 3, 5);
  const a = kv.arrays[0] as Float32Array;
  for (let r = 0; r < 2; r++)
    for (let h = 0; h < 2; h++)
      for (let t = 0; t < 3; t++)
        for (let d = 0; d < 3; d++) a[((r * 2 + h) * 5 + t) * 3 + d] = 100 * r + 10 * h + t + d / 10;
  return kv;
}
const at = (kv: ReturnType<typeof sample>, r: number, h: number, t: number, d: number) =>
  (kv.arrays[0] as Float32Array)[((r * geom.heads + h) * kv.capacity + t) * geom.headDim + d];

describe("KV batch", () => {
  it("gathers rows' real suffixes right aligned, with spare columns after the used length", () => {
    const kv = sample();
    // Row 1 has 2 real positions (columns 1, 2); row 0 is copied twice.
    const out = gatherKv(
      geom,
      [
        { from: kv, row: 1, len: 2 },
        { from: kv, row: 0, len: 3 },
        { from: kv, row: 0, len: 3 },
      ],
      0,
      4,
    );
    expect([out.rows, out.length, out.capacity]).toEqual([3, 3, 7]);
    expect(at(out, 0, 0, 0, 0)).toBe(0); // left pad
    expect(at(out, 0, 1, 1, 2)).toBeCloseTo(111.2, 5);
    expect(at(out, 0, 1, 2, 0)).toBe(112);
    expect(at(out, 2, 1, 2, 1)).toBeCloseTo(12.1, 5);
    for (let t = 3; t < 7; t++) expect(at(out, 1, 0, t, 0)).toBe(0); // spare
  });

  it("grows capacity keeping every row, and leaves a roomy batch as it is", () => {
    const kv = sample();
    expect(withCapacity(geom, kv, 5)).toBe(kv);
    const grown = withCapacity(geom, kv, 9);
    expect([grown.rows, grown.length, grown.capacity]).toEqual([2, 3, 9]);
    for (let r = 0; r < 2; r++)
      for (let h = 0; h < 2; h++)
        for (let t = 0; t < 3; t++)
          expect(at(grown, r, h, t, 1)).toBeCloseTo(at(kv, r, h, t, 1) as number, 6);
  });

  it("keeps at least 32 spare columns, a quarter of the length for long caches", () => {
    expect(kvHeadroom(0)).toBe(32);
    expect(kvHeadroom(100)).toBe(32);
    expect(kvHeadroom(1000)).toBe(250);
    expect(() => allocKv(geom, 1, 4, 3)).toThrow(/capacity 3 < length 4/);
  });
});

describe("copyBlocks", () => {
  // Both the element loop (short blocks) and set(subarray) (long ones) put block i at start + i x stride
  // and leave every other element alone.
  for (const block of [3, 32, 33, 200]) {
    it(`writes ${block}-element blocks at their strides`, () => {
      const count = 5;
      const stride = block * 3 + 1;
      const src = Float32Array.from({ length: count * block }, (_, i) => i + 1);
      const dst = new Float32Array(2 + count * stride).fill(-1);
      copyBlocks(dst, 2, stride, src, count, block);
      const expected = new Float32Array(dst.length).fill(-1);
      for (let i = 0; i < count; i++)
        for (let j = 0; j < block; j++) expected[2 + i * stride + j] = i * block + j + 1;
      expect(dst).toEqual(expected);
    });
  }
  it("copies float16 bits unchanged", () => {
    const src = Uint16Array.of(0x3c00, 0x7e00, 0x8001, 0xfc00);
    const dst = new Uint16Array(8);
    copyBlocks(dst, 1, 4, src, 2, 2);
    expect([...dst]).toEqual([0, 0x3c00, 0x7e00, 0, 0, 0x8001, 0xfc00, 0]);
  });
});
