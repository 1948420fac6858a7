import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/paths.js";
import { loadCheckpoint } from "./checkpoint.js";
import { openCheckpointWeights } from "./checkpoint-weights.js";
import { DTYPE_BYTES, float32BitsToBfloat16Bits, type SafetensorsDtype } from "./dtype.js";
import { openSafetensors } from "./safetensors.js";
import { type TensorToWrite, writeSafetensors } from "./safetensors-writer.js";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ssb-st-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Safetensors bytes from a header object and a data region. */
function rawFile(header: unknown, data: Uint8Array, declaredLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, declaredLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe("safetensors round trip", () => {
  const samples: Record<SafetensorsDtype, ArrayBufferView> = {
    F64: new Float64Array([1.5, -2.25, Math.PI]),
    F32: new Float32Array([1.5, -2.25, Math.PI, 0, -0, 1e-30]),
    F16: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001]),
    BF16: new Uint16Array([0x3f80, 0xc040, 0x7f7f, 0x0001]),
    I64: new BigInt64Array([-(2n ** 40n), 7n]),
    I32: new Int32Array([-2147483648, 2147483647]),
    I16: new Int16Array([-32768, 32767]),
    I8: new Int8Array([-128, 127]),
    U64: new BigUint64Array([2n ** 63n, 1n]),
    U32: new Uint32Array([4294967295, 0]),
    U16: new Uint16Array([65535, 1]),
    U8: new Uint8Array([0, 255, 17]),
    BOOL: new Uint8Array([1, 0, 1, 1]),
  };

  it("writes and re-reads every dtype byte for byte, with metadata", async () => {
    const file = path.join(dir, "all.safetensors");
    const tensors: Record<string, TensorToWrite> = {};
    for (const [dtype, data] of Object.entries(samples)) {
      const bytesPer = DTYPE_BYTES[dtype as SafetensorsDtype];
      tensors[`t.${dtype}`] = { dtype: dtype as SafetensorsDtype, shape: [data.byteLength / bytesPer], data };
    }
    // a lazily produced tensor and an empty one
    tensors.lazy = { dtype: "F32", shape: [2, 1], data: async () => new Float32Array([4, 5]) };
    tensors.empty = { dtype: "F32", shape: [0, 3], data: new Float32Array(0) };
    await writeSafetensors(file, tensors, { format: "pt", note: "test" });

    const bytes = await readFile(file);
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    expect(headerLength % 8).toBe(0);
    expect(
      bytes
        .subarray(8, 8 + headerLength)
        .toString()
        .startsWith('{"__metadata__":{"format":"pt","note":"test"}'),
    ).toBe(true);

    const reader = await openSafetensors(file);
    try {
      expect(reader.metadata).toEqual({ format: "pt", note: "test" });
      for (const [dtype, data] of Object.entries(samples)) {
        const raw = await reader.read(`t.${dtype}`);
        expect(raw.dtype).toBe(dtype);
        expect(raw.data).toEqual(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      }
      expect(Array.from((await reader.readFloat32("lazy")).data)).toEqual([4, 5]);
      expect((await reader.read("empty")).shape).toEqual([0, 3]);
      expect(Array.from((await reader.readFloat32("t.I64")).data)).toEqual([-(2 ** 40), 7]);
      expect(Array.from((await reader.readFloat32("t.F16")).data)).toEqual([1, -2, 65504, 2 ** -24]);
      // tensors are laid out largest element first (as HF does), so every one is aligned
      for (const name of reader.names()) {
        const info = reader.info(name);
        expect(info.dataOffsets[0] % DTYPE_BYTES[info.dtype]).toBe(0);
      }
      expect(await reader.readBytes("t.U8", 1, 3)).toEqual(new Uint8Array([255, 17]));
      await expect(reader.readBytes("t.U8", 2, 9)).rejects.toThrow(/byte range \[2, 9\) outside its 3 bytes/);
      expect(() => reader.info("nope")).toThrow(/all\.safetensors: no tensor named "nope"/);
    } finally {
      await reader.close();
    }
  });

  it("keeps awkward tensor names (__proto__, numeric) as ordinary keys", async () => {
    const file = path.join(dir, "names.safetensors");
    await writeSafetensors(
      file,
      new Map<string, TensorToWrite>([
        ["__proto__", { dtype: "F32", shape: [1], data: new Float32Array([1]) }],
        ["0", { dtype: "F32", shape: [1], data: new Float32Array([2]) }],
      ]),
    );
    const reader = await openSafetensors(file);
    expect(reader.names().sort()).toEqual(["0", "__proto__"]);
    expect(Array.from((await reader.readFloat32("__proto__")).data)).toEqual([1]);
    expect(Array.from((await reader.readFloat32("0")).data)).toEqual([2]);
    await reader.close();
  });

  it("refuses data whose size does not match dtype x shape", async () => {
    await expect(
      writeSafetensors(path.join(dir, "bad.safetensors"), {
        x: { dtype: "F32", shape: [3], data: new Float32Array(2) },
      }),
    ).rejects.toThrow(/tensor "x": shape \[3\] x F32 needs 12 bytes, got 8/);
  });

  it("refuses non-string metadata values (the format maps strings to strings) before writing anything", async () => {
    const file = path.join(dir, "meta-number.safetensors");
    const x = { x: { dtype: "F32" as const, shape: [1], data: new Float32Array(1) } };
    await expect(writeSafetensors(file, x, { format: 5 } as never)).rejects.toThrow(
      /^writeSafetensors .*meta-number\.safetensors: metadata "format" must be a string .*found number 5/,
    );
    await expect(writeSafetensors(file, x, { nested: { a: "b" } } as never)).rejects.toThrow(
      /metadata "nested" must be a string/,
    );
    await expect(writeSafetensors(file, x, null as never)).rejects.toThrow(/metadata must be an object/);
    await expect(readFile(file)).rejects.toThrow(/ENOENT/);
    await expect(readFile(`${file}.tmp`)).rejects.toThrow(/ENOENT/);
  });
});

describe("fixture files", () => {
  it("re-writes model.safetensors, model.bf16.safetensors and the adapter byte for byte", async () => {
    for (const name of ["model.safetensors", "model.bf16.safetensors", "lora/adapter_model.safetensors"]) {
      const source = path.join(tinyRefDir, name);
      const reader = await openSafetensors(source);
      const tensors = new Map<string, TensorToWrite>();
      for (const tensorName of reader.names()) {
        const info = reader.info(tensorName);
        tensors.set(tensorName, {
          dtype: info.dtype,
          shape: info.shape,
          data: () => reader.readBytes(tensorName),
        });
      }
      const copy = path.join(dir, path.basename(name));
      await writeSafetensors(copy, tensors, reader.metadata);
      await reader.close();
      expect(Buffer.compare(await readFile(copy), await readFile(source))).toBe(0);
    }
  });

  it("reads bf16 weights as exactly the bf16 rounding of the f32 weights", async () => {
    const f32 = await openSafetensors(path.join(tinyRefDir, "model.safetensors"));
    const bf16 = await openSafetensors(path.join(tinyRefDir, "model.bf16.safetensors"));
    try {
      expect(f32.metadata).toEqual({ format: "pt" });
      expect(bf16.names().sort()).toEqual(f32.names().sort());
      expect(f32.names()).toHaveLength(1 + 2 * 12 + 1);
      for (const name of f32.names()) {
        const a = await f32.readFloat32(name);
        const b = await bf16.readFloat32(name);
        expect(bf16.info(name).dtype).toBe("BF16");
        expect(b.shape).toEqual(a.shape);
        const aBits = new Uint32Array(a.data.buffer, a.data.byteOffset, a.data.length);
        const bBits = new Uint32Array(b.data.buffer, b.data.byteOffset, b.data.length);
        let mismatches = 0;
        let worst = 0;
        for (let i = 0; i < aBits.length; i++) {
          if ((float32BitsToBfloat16Bits(aBits[i] as number) << 16) >>> 0 !== bBits[i]) mismatches++;
          const av = a.data[i] as number;
          worst = Math.max(worst, Math.abs((b.data[i] as number) - av) / Math.max(Math.abs(av), 1e-30));
        }
        expect(mismatches).toBe(0);
        expect(worst).toBeLessThanOrEqual(2 ** -8);
      }
      const embed = await f32.readFloat32("model.embed_tokens.weight");
      expect(embed.shape).toEqual([256, 64]);
    } finally {
      await f32.close();
      await bf16.close();
    }
  });

  it("loads the fixture checkpoint (config + weights), f32 and bf16", async () => {
    const checkpoint = await loadCheckpoint(tinyRefDir, { tokenizer: true });
    expect(checkpoint.config.hiddenSize).toBe(64);
    expect(checkpoint.tokenizer?.vocabSize).toBe(256);
    expect(checkpoint.generationConfig.eosTokenIds).toEqual([2]);
    expect(checkpoint.weights.info("model.layers.1.self_attn.q_proj.bias").shape).toEqual([64]);
    await checkpoint.close();
    const bf16 = await loadCheckpoint(tinyRefDir, { file: "model.bf16.safetensors" });
    expect(bf16.tokenizer).toBeNull();
    expect(bf16.weights.info("model.norm.weight").dtype).toBe("BF16");
    await bf16.close();
  });
});

describe("hostile and broken files", () => {
  const arrayBuffersGrowth = async (fn: () => Promise<unknown>): Promise<number> => {
    const before = process.memoryUsage().arrayBuffers;
    await fn().catch(() => undefined);
    return process.memoryUsage().arrayBuffers - before;
  };

  it("rejects a folder and a missing file, naming the path", async () => {
    await expect(openSafetensors(dir)).rejects.toThrow(/not a regular file/);
    await expect(openSafetensors(path.join(dir, "absent.safetensors"))).rejects.toThrow(
      /absent\.safetensors: cannot open safetensors file/,
    );
  });

  it("rejects a file shorter than the length prefix", async () => {
    const file = path.join(dir, "tiny.safetensors");
    await writeFile(file, new Uint8Array([1, 2, 3, 4, 5]));
    await expect(openSafetensors(file)).rejects.toThrow(/tiny\.safetensors: truncated: 5 bytes/);
  });

  it("rejects a header length beyond the file without allocating it", async () => {
    const file = path.join(dir, "huge-header.safetensors");
    await writeFile(file, rawFile({}, new Uint8Array(0), 2n ** 62n));
    await expect(openSafetensors(file)).rejects.toThrow(
      /huge-header\.safetensors: header length 4611686018427387904 exceeds the 2 bytes after the length prefix/,
    );
    expect(await arrayBuffersGrowth(() => openSafetensors(file))).toBeLessThan(1 << 20);
    // within the file but above the configured bound
    const big = path.join(dir, "big-header.safetensors");
    await writeFile(big, rawFile({ __metadata__: { pad: "x".repeat(5000) } }, new Uint8Array(0)));
    await expect(openSafetensors(big, { maxHeaderBytes: 1000 })).rejects.toThrow(
      /exceeds the limit of 1000 bytes/,
    );
  });

  it("rejects a truncated data region naming the tensor", async () => {
    const file = path.join(dir, "cut.safetensors");
    const full = rawFile({ w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, new Uint8Array(16));
    await writeFile(file, full.subarray(0, full.length - 3));
    await expect(openSafetensors(file)).rejects.toThrow(
      /cut\.safetensors: tensor "w": data_offsets \[0, 16\] outside the data region of 13 bytes/,
    );
  });

  it("rejects a non-JSON header", async () => {
    const file = path.join(dir, "nonjson.safetensors");
    const text = new TextEncoder().encode("{not json at all");
    const bytes = new Uint8Array(8 + text.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(text.length), true);
    bytes.set(text, 8);
    await writeFile(file, bytes);
    await expect(openSafetensors(file)).rejects.toThrow(/nonjson\.safetensors: header is not valid JSON/);
    // e.g. a pickle (.bin) renamed: random bytes where the header should be
    const pickle = path.join(dir, "pickle.safetensors");
    await writeFile(
      pickle,
      new Uint8Array([
        0x10, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x02, 0x7d, 0x71, 0, 0x28, 0x58, 0x05, 1, 2, 3, 4, 5, 6, 7, 8,
      ]),
    );
    await expect(openSafetensors(pickle)).rejects.toThrow(/pickle\.safetensors: header is not valid JSON/);
  });

  it("validates every entry: dtype, shape x size, overlaps, metadata", async () => {
    const cases: [unknown, RegExp][] = [
      [
        { w: { dtype: "F8", shape: [1], data_offsets: [0, 1] } },
        /tensor "w": unsupported dtype string "F8" \(readable: F64, F32, F16, BF16, I64, .*; FP8 and quantized checkpoints are not\)/,
      ],
      [
        { w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } },
        /tensor "w": shape \[3\] x F32 is 12 bytes but data_offsets span 8/,
      ],
      [{ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, /tensor "w": shape must be/],
      [{ w: { dtype: "F32", shape: [1], data_offsets: [4] } }, /tensor "w": data_offsets must be two/],
      // Reversed: said as such, not as a truncated file.
      [
        { w: { dtype: "F32", shape: [1], data_offsets: [4, 0] } },
        /tensor "w": data_offsets \[4, 0\] end before they begin$/,
      ],
      [
        {
          a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
          b: { dtype: "F32", shape: [2], data_offsets: [4, 12] },
        },
        /tensors "a" and "b" overlap/,
      ],
      [{ __metadata__: { format: 1 } }, /"__metadata__.format" must be a string/],
      [[1, 2], /header is not valid JSON|must be a JSON object/],
    ];
    for (const [index, [header, pattern]] of cases.entries()) {
      const file = path.join(dir, `case${index}.safetensors`);
      await writeFile(file, rawFile(header, new Uint8Array(16)));
      await expect(openSafetensors(file)).rejects.toThrow(pattern);
    }
  });
});

describe("sharded checkpoints", () => {
  it("serves one lookup over all shards and checks the index", async () => {
    const ckpt = path.join(dir, "sharded");
    await (await import("node:fs/promises")).mkdir(ckpt, { recursive: true });
    await writeSafetensors(path.join(ckpt, "model-00001-of-00002.safetensors"), {
      a: { dtype: "F32", shape: [2], data: new Float32Array([1, 2]) },
      b: { dtype: "BF16", shape: [1], data: new Uint16Array([0x3f80]) },
    });
    await writeSafetensors(path.join(ckpt, "model-00002-of-00002.safetensors"), {
      c: { dtype: "F16", shape: [1], data: new Uint16Array([0x4000]) },
    });
    const index = {
      metadata: { total_size: 12 },
      weight_map: {
        a: "model-00001-of-00002.safetensors",
        b: "model-00001-of-00002.safetensors",
        c: "model-00002-of-00002.safetensors",
      },
    };
    await writeFile(path.join(ckpt, "model.safetensors.index.json"), JSON.stringify(index));
    const weights = await openCheckpointWeights(ckpt);
    expect(weights.files).toHaveLength(2);
    expect(weights.names()).toEqual(["a", "b", "c"]);
    expect(Array.from((await weights.readFloat32("c")).data)).toEqual([2]);
    expect(Array.from((await weights.readFloat32("b")).data)).toEqual([1]);
    expect(weights.info("c").file).toMatch(/model-00002-of-00002/);
    expect(() => weights.info("zz")).toThrow(/no tensor named "zz"/);
    await weights.close();

    await writeFile(
      path.join(ckpt, "model.safetensors.index.json"),
      JSON.stringify({ weight_map: { ...index.weight_map, c: "model-00001-of-00002.safetensors" } }),
    );
    await expect(openCheckpointWeights(ckpt)).rejects.toThrow(
      /index\.json: field "weight_map\.c": tensor "c" is mapped to model-00001-of-00002\.safetensors, which does not contain it/,
    );
    await writeFile(
      path.join(ckpt, "model.safetensors.index.json"),
      JSON.stringify({ weight_map: { a: "../x.safetensors" } }),
    );
    await expect(openCheckpointWeights(ckpt)).rejects.toThrow(
      /field "weight_map\.a": expected a shard file name/,
    );
    // A shard the index names that is not there (a partial download): the index is named, with the shard.
    await writeFile(
      path.join(ckpt, "model.safetensors.index.json"),
      JSON.stringify({ weight_map: { ...index.weight_map, d: "model-00003-of-00003.safetensors" } }),
    );
    await expect(openCheckpointWeights(ckpt)).rejects.toThrow(
      /sharded\/model\.safetensors\.index\.json: weight_map names model-00003-of-00003\.safetensors \(for 1 tensor, e\.g\. "d"\), which is not in \S+sharded \(an interrupted download\?\)$/,
    );
    await expect(openCheckpointWeights(path.join(dir, "missing"))).rejects.toThrow(
      /no model\.safetensors or model\.safetensors\.index\.json/,
    );
  });
});
