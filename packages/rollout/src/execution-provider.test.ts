/** Provider selection (this machine has no CUDA provider library) and KV name / layout reading. */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dummyDecoderDir } from "../test/fixtures.js";
import { describeDecoderIo, parseKvName, type ValueInfo } from "./decoder-io.js";
import { cudaProviderInstalled, openSession } from "./execution-provider.js";

const model = path.join(dummyDecoderDir, "decoder.onnx");

describe("execution providers", () => {
  it.skipIf(cudaProviderInstalled())(
    "--ep cuda without the provider library says what is missing and how to get it",
    async () => {
      await expect(openSession(model, { executionProvider: "cuda" })).rejects.toThrow(
        /CUDA execution provider is not installed.*ONNXRUNTIME_NODE_INSTALL=cuda12/s,
      );
    },
  );

  it.skipIf(cudaProviderInstalled())("--ep auto falls back to CPU with a warning", async () => {
    const warnings: string[] = [];
    const opened = await openSession(model, { executionProvider: "auto", warn: (m) => warnings.push(m) });
    expect(opened.executionProvider).toBe("cpu");
    expect(warnings.join("\n")).toMatch(/falling back to CPU/);
    await opened.session.release();
  });

  it("--ep webgpu either starts on a GPU or says what a GPU-less or driver-less machine lacks", async () => {
    // CI has no GPU: the message path runs there. On a machine with a WebGPU adapter the session opens.
    const opened = await openSession(model, { executionProvider: "webgpu" }).catch((e: Error) => e);
    if (opened instanceof Error) {
      expect(opened.message).toMatch(
        /--ep webgpu: .*(libvulkan\.so\.1.*libglvnd|no WebGPU provider).*--ep cpu/s,
      );
    } else {
      expect(opened.executionProvider).toBe("webgpu");
      await opened.session.release();
    }
  });

  it("rejects unknown providers and bad thread counts", async () => {
    await expect(openSession(model, { executionProvider: "tpu" as "cpu" })).rejects.toThrow(/must be one of/);
    await expect(openSession(model, { intraOpThreads: -1 })).rejects.toThrow(/intraOpThreads/);
    const opened = await openSession(model, { intraOpThreads: 1, interOpThreads: 1 });
    expect(opened.executionProvider).toBe("cpu");
    await opened.session.release();
  });
});

describe("decoder I/O from metadata", () => {
  it("recognises the usual KV name spellings", () => {
    expect(parseKvName("past_key_values.3.key")).toEqual({ role: "past", layer: 3, kind: "key" });
    expect(parseKvName("past.11.value")).toEqual({ role: "past", layer: 11, kind: "value" });
    expect(parseKvName("present.0.key")).toEqual({ role: "present", layer: 0, kind: "key" });
    expect(parseKvName("past_key_5")).toEqual({ role: "past", layer: 5, kind: "key" });
    expect(parseKvName("present_value_2")).toEqual({ role: "present", layer: 2, kind: "value" });
    expect(parseKvName("logits")).toBeNull();
  });

  it("reads a seq-first f16 layout with symbolic heads from config hints, and names missing pieces", () => {
    const kv = (name: string): ValueInfo => ({ name, type: "float16", shape: ["batch", "seq", "heads", 64] });
    const inputs: ValueInfo[] = [
      { name: "input_ids", type: "int32", shape: ["batch", "seq"] },
      { name: "attention_mask", type: "int32", shape: ["batch", "total"] },
      kv("past_key_0"),
      kv("past_value_0"),
    ];
    const outputs: ValueInfo[] = [
      { name: "logits", type: "float16", shape: ["batch", "seq", 1000] },
      kv("present_key_0"),
      kv("present_value_0"),
    ];
    const io = describeDecoderIo(inputs, outputs, "m.onnx", { numKvHeads: 4 });
    expect([io.kvLayout, io.kvType, io.numKvHeads, io.headDim, io.positionIds, io.inputIdsType]).toEqual([
      "seq-first",
      "float16",
      4,
      64,
      null,
      "int32",
    ]);
    expect(() => describeDecoderIo(inputs.slice(0, 2), outputs, "m.onnx")).toThrow(
      /m\.onnx: no past key\/value inputs/,
    );
    expect(() => describeDecoderIo(inputs, outputs, "m.onnx")).toThrow(/KV head count or head size symbolic/);
  });

  it("reads use_cache_branch and logits_to_keep inputs, and refuses wrong types and unknown inputs", () => {
    const kv = (name: string): ValueInfo => ({ name, type: "float32", shape: ["batch", 2, "seq", 8] });
    const base: ValueInfo[] = [
      { name: "input_ids", type: "int64", shape: ["batch", "seq"] },
      kv("past_key_values.0.key"),
      kv("past_key_values.0.value"),
    ];
    const outputs: ValueInfo[] = [
      { name: "logits", type: "float32", shape: ["batch", "seq", 100] },
      kv("present.0.key"),
      kv("present.0.value"),
    ];
    const io = describeDecoderIo(
      [
        ...base,
        { name: "use_cache_branch", type: "bool", shape: [1] },
        { name: "num_logits_to_keep", type: "int64", shape: [] },
      ],
      outputs,
      "m.onnx",
    );
    expect([io.useCacheBranch, io.logitsToKeep]).toEqual([
      "use_cache_branch",
      { name: "num_logits_to_keep", rank: 0 },
    ]);
    expect(describeDecoderIo(base, outputs, "m.onnx").logitsToKeep).toBeNull();
    const withInput = (extra: ValueInfo) => () => describeDecoderIo([...base, extra], outputs, "m.onnx");
    expect(withInput({ name: "use_cache_branch", type: "int64", shape: [1] })).toThrow(
      /"use_cache_branch" must be bool, found int64/,
    );
    expect(withInput({ name: "logits_to_keep", type: "int64", shape: [1, 1] })).toThrow(
      /"logits_to_keep" must be an int64 scalar or \[1\]/,
    );
    expect(withInput({ name: "cache_position", type: "int64", shape: ["seq"] })).toThrow(
      /m\.onnx: no way to feed input "cache_position"/,
    );
  });
});
