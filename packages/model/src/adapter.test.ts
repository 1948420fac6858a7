import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/paths.js";
import {
  createLoraConfig,
  type LoraAdapter,
  type LoraModuleWeights,
  loadAdapter,
  loraScale,
  mergeAdapter,
  parseAdapterConfig,
  peftKey,
  saveAdapter,
} from "./adapter.js";
import { openCheckpointWeights } from "./checkpoint-weights.js";
import { loadModelConfig } from "./config.js";
import { openSafetensors } from "./safetensors.js";
import { writeSafetensors } from "./safetensors-writer.js";
import { PROJECTION_MODULES, projectionPath } from "./weight-names.js";

const loraDir = path.join(tinyRefDir, "lora");
const moduleOf = (modulePath: string): LoraModuleWeights => {
  const module = adapter.modules.get(modulePath);
  if (!module) throw new Error(`fixture adapter lacks ${modulePath}`);
  return module;
};
let dir: string;
let adapter: LoraAdapter;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "ssb-lora-"));
  adapter = await loadAdapter(loraDir);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("PEFT adapter files", () => {
  it("reads the fixture adapter with PEFT key names and scaling alpha / r", async () => {
    const reference = JSON.parse(await readFile(path.join(tinyRefDir, "reference.json"), "utf8")) as {
      lora: { r: number; lora_alpha: number; scaling: number; target_modules: string[] };
    };
    expect(adapter.config.r).toBe(reference.lora.r);
    expect(adapter.config.loraAlpha).toBe(reference.lora.lora_alpha);
    expect(adapter.config.targetModules).toEqual(reference.lora.target_modules);
    expect(adapter.config.baseModelNameOrPath).toBe("qwen2-tiny-ref");
    const config = await loadModelConfig(tinyRefDir);
    expect(adapter.modules.size).toBe(config.numLayers * PROJECTION_MODULES.length);
    for (let layer = 0; layer < config.numLayers; layer++) {
      for (const module of PROJECTION_MODULES) {
        const modulePath = projectionPath(layer, module);
        expect(loraScale(adapter.config, modulePath)).toBe(reference.lora.scaling);
        expect(adapter.modules.has(modulePath)).toBe(true);
      }
    }
    const q = adapter.modules.get("model.layers.0.self_attn.q_proj");
    expect(q?.a.shape).toEqual([4, 64]);
    expect(q?.b.shape).toEqual([64, 4]);
    expect(adapter.modules.get("model.layers.1.mlp.down_proj")?.a.shape).toEqual([4, 128]);
    // our key names are the ones the reference used for its gradients
    const ref = await openSafetensors(path.join(tinyRefDir, "reference.safetensors"));
    expect(ref.has(`grad_kd_topk.${peftKey("model.layers.0.self_attn.q_proj", "A")}`)).toBe(true);
    expect(ref.has(`grad_kd_topk.${peftKey("model.layers.1.mlp.down_proj", "B")}`)).toBe(true);
    await ref.close();
  });

  it("writes the adapter back byte for byte (weights) and field for field (config)", async () => {
    const out = path.join(dir, "copy");
    await saveAdapter(out, adapter);
    const written = await readFile(path.join(out, "adapter_model.safetensors"));
    expect(Buffer.compare(written, await readFile(path.join(loraDir, "adapter_model.safetensors")))).toBe(0);
    const original: unknown = JSON.parse(await readFile(path.join(loraDir, "adapter_config.json"), "utf8"));
    const copy: unknown = JSON.parse(await readFile(path.join(out, "adapter_config.json"), "utf8"));
    expect(copy).toEqual(original);
    const again = await loadAdapter(out);
    expect(again.modules.get("model.layers.1.mlp.up_proj")?.b.data).toEqual(
      adapter.modules.get("model.layers.1.mlp.up_proj")?.b.data,
    );
  });

  it("writes a new adapter that PEFT can read (bf16 storage)", async () => {
    const a = { name: "a", shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) };
    const b = { name: "b", shape: [2, 2], data: new Float32Array([0.5, 0, 0, 0.25]) };
    const out = path.join(dir, "new");
    await saveAdapter(
      out,
      {
        config: createLoraConfig({ r: 2, loraAlpha: 4, targetModules: ["q_proj"], useRslora: true }),
        modules: new Map([["model.layers.0.self_attn.q_proj", { a, b }]]),
      },
      { dtype: "BF16" },
    );
    const json = JSON.parse(await readFile(path.join(out, "adapter_config.json"), "utf8")) as Record<
      string,
      unknown
    >;
    expect(json).toMatchObject({
      peft_type: "LORA",
      r: 2,
      lora_alpha: 4,
      use_rslora: true,
      target_modules: ["q_proj"],
    });
    const reader = await openSafetensors(path.join(out, "adapter_model.safetensors"));
    expect(reader.names()).toEqual([
      "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight",
      "base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight",
    ]);
    expect(reader.info(reader.names()[0] as string).dtype).toBe("BF16");
    await reader.close();
    const back = await loadAdapter(out);
    expect(loraScale(back.config, "model.layers.0.self_attn.q_proj")).toBeCloseTo(4 / Math.sqrt(2), 12);
  });

  it("replaces adapter_config.json by a rename, never writing through what was there", async () => {
    // A link to another file stands for any write in place: it would have been overwritten (or, on a crash, left
    // half written); the rename replaces the entry itself.
    const out = path.join(dir, "relinked");
    await mkdir(out, { recursive: true });
    const elsewhere = path.join(dir, "someone-elses-config.json");
    await writeFile(elsewhere, "keep me\n");
    await symlink(elsewhere, path.join(out, "adapter_config.json"));
    await saveAdapter(out, adapter);
    expect(await readFile(elsewhere, "utf8")).toBe("keep me\n");
    expect((await loadAdapter(out)).config.r).toBe(adapter.config.r);
    expect((await readdir(out)).sort()).toEqual(["adapter_config.json", "adapter_model.safetensors"]);
  });

  it("applies rank_pattern / alpha_pattern per module", () => {
    const config = parseAdapterConfig(
      {
        r: 8,
        lora_alpha: 16,
        target_modules: ["q_proj", "v_proj"],
        rank_pattern: { "layers.1.self_attn.q_proj": 4 },
        alpha_pattern: { v_proj: 4 },
      },
      "adapter_config.json",
    );
    expect(loraScale(config, "model.layers.0.self_attn.q_proj")).toBe(2);
    expect(loraScale(config, "model.layers.1.self_attn.q_proj")).toBe(4);
    expect(loraScale(config, "model.layers.0.self_attn.v_proj")).toBe(0.5);
  });

  it("refuses what it cannot merge correctly, naming file and field", async () => {
    const good = { r: 4, lora_alpha: 8, target_modules: ["q_proj"] };
    expect(() => parseAdapterConfig({ ...good, use_dora: true }, "/a/adapter_config.json")).toThrow(
      /\/a\/adapter_config\.json: field "use_dora": DoRA/,
    );
    expect(() => parseAdapterConfig({ ...good, peft_type: "IA3" }, "a.json")).toThrow(/field "peft_type"/);
    expect(() => parseAdapterConfig({ ...good, r: 0 }, "a.json")).toThrow(
      /field "r": expected an integer >= 1/,
    );
    expect(() => parseAdapterConfig({ r: 4, target_modules: ["q_proj"] }, "a.json")).toThrow(
      /field "lora_alpha"/,
    );
    expect(() => parseAdapterConfig({ ...good, bias: "all" }, "a.json")).toThrow(/field "bias"/);
    // PEFT reads rank_pattern / alpha_pattern keys as regexes: one that does not compile is named here (it threw a
    // bare SyntaxError at merge time).
    expect(() => parseAdapterConfig({ ...good, rank_pattern: { "q_proj[": 2 } }, "a.json")).toThrow(
      /^a\.json: field "rank_pattern\.q_proj\[": not a valid regular expression/,
    );
    // modules_to_save (whole lm_head / embed_tokens saved beside the LoRA) was accepted and those weights dropped.
    expect(() => parseAdapterConfig({ ...good, modules_to_save: ["lm_head"] }, "a.json")).toThrow(
      /a\.json: field "modules_to_save": adapters that also save whole modules are not supported, found \["lm_head"\]/,
    );
    for (const none of [null, []])
      expect(parseAdapterConfig({ ...good, modules_to_save: none }, "a.json").extra.modules_to_save).toEqual(
        none,
      );

    // a weights file whose rank disagrees with the config, and one with a stray key
    const bad = path.join(dir, "bad");
    await mkdir(bad, { recursive: true });
    await copyFile(
      path.join(loraDir, "adapter_model.safetensors"),
      path.join(bad, "adapter_model.safetensors"),
    );
    await writeFile(path.join(bad, "adapter_config.json"), JSON.stringify({ ...good, r: 8 }));
    await expect(loadAdapter(bad)).rejects.toThrow(/expected rank r = 8 from adapter_config\.json/);
    await writeFile(path.join(bad, "adapter_config.json"), JSON.stringify(good));
    await writeSafetensors(path.join(bad, "adapter_model.safetensors"), {
      "base_model.model.model.embed_tokens.weight": { dtype: "F32", shape: [1], data: new Float32Array(1) },
    });
    await expect(loadAdapter(bad)).rejects.toThrow(
      /tensor "base_model\.model\.model\.embed_tokens\.weight" is not a LoRA weight/,
    );
    await writeSafetensors(path.join(bad, "adapter_model.safetensors"), {
      "base_model.model.model.embed_tokens.lora_embedding_A": {
        dtype: "F32",
        shape: [1],
        data: new Float32Array(1),
      },
    });
    await expect(loadAdapter(bad)).rejects.toThrow(
      /tensor "base_model\.model\.model\.embed_tokens\.lora_embedding_A": LoRA on an embedding layer \(lora_embedding_A \/ _B, embed_tokens in target_modules\) is not supported/,
    );
  });
});

describe("mergeAdapter", () => {
  it("merges W + (alpha / r) B @ A, checked by hand on a slice, and passes other tensors through", async () => {
    const base = await openCheckpointWeights(tinyRefDir);
    const merged = mergeAdapter(base, adapter);
    try {
      // One element worked out term by term: layer 0 q_proj, row 5, column 7, r = 4, scale = 8 / 4.
      const name = "model.layers.0.self_attn.q_proj.weight";
      const w = (await base.readFloat32(name)).data;
      const module = moduleOf("model.layers.0.self_attn.q_proj");
      const A = module.a.data; // [4, 64]
      const B = module.b.data; // [64, 4]
      const o = 5;
      const i = 7;
      const byHand =
        (w[o * 64 + i] as number) +
        2 *
          ((B[o * 4 + 0] as number) * (A[0 * 64 + i] as number) +
            (B[o * 4 + 1] as number) * (A[1 * 64 + i] as number) +
            (B[o * 4 + 2] as number) * (A[2 * 64 + i] as number) +
            (B[o * 4 + 3] as number) * (A[3 * 64 + i] as number));
      const m = (await merged.readFloat32(name)).data;
      expect(m[o * 64 + i]).toBe(Math.fround(byHand));

      // Every adapted tensor, every element, against a float64 B @ A.
      let worst = 0;
      let largestDelta = 0;
      for (const [modulePath, { a, b }] of adapter.modules) {
        const weightName = `${modulePath}.weight`;
        const W = await base.readFloat32(weightName);
        const M = await merged.readFloat32(weightName);
        expect(merged.info(weightName).dtype).toBe("F32");
        const [out, inDim] = W.shape as [number, number];
        const r = a.shape[0] as number;
        for (let row = 0; row < out; row++) {
          for (let col = 0; col < inDim; col++) {
            let delta = 0;
            for (let k = 0; k < r; k++)
              delta += (b.data[row * r + k] as number) * (a.data[k * inDim + col] as number);
            const expected = (W.data[row * inDim + col] as number) + 2 * delta;
            worst = Math.max(worst, Math.abs((M.data[row * inDim + col] as number) - expected));
            largestDelta = Math.max(largestDelta, Math.abs(2 * delta));
          }
        }
      }
      expect(worst).toBeLessThan(1e-7); // float32 rounding of values around 0.1
      expect(largestDelta).toBeGreaterThan(1e-3); // the adapter really changes the weights

      for (const untouched of [
        "model.embed_tokens.weight",
        "model.layers.0.self_attn.q_proj.bias",
        "model.norm.weight",
      ]) {
        expect((await merged.read(untouched)).data).toEqual((await base.read(untouched)).data);
      }
      expect(merged.names()).toEqual(base.names());
    } finally {
      await merged.close();
    }
  });

  it("merges into bf16 base weights (result in float32) and checks shapes against the base", async () => {
    const base = await openCheckpointWeights(tinyRefDir, { file: "model.bf16.safetensors" });
    const merged = mergeAdapter(base, adapter);
    const name = "model.layers.1.mlp.down_proj.weight";
    const raw = await merged.read(name);
    expect(raw.dtype).toBe("F32");
    expect(raw.data.byteLength).toBe(64 * 128 * 4);
    // An adapter for another base: the errors name its file and the base it says it was trained on.
    const config = { ...adapter.config, baseModelNameOrPath: "Qwen/Qwen2.5-1.5B" };
    const wrong: LoraAdapter = {
      config,
      modules: new Map([["model.layers.0.mlp.nothing", moduleOf("model.layers.0.mlp.up_proj")]]),
      file: "/a/adapter_model.safetensors",
    };
    expect(() => mergeAdapter(base, wrong)).toThrow(
      /^\/a\/adapter_model\.safetensors: module "model\.layers\.0\.mlp\.nothing": the base model has no tensor "model\.layers\.0\.mlp\.nothing\.weight"; was the adapter trained on another base model \(its adapter_config\.json names "Qwen\/Qwen2\.5-1\.5B"\)\?$/,
    );
    const transposed: LoraAdapter = {
      config: adapter.config,
      modules: new Map([["model.layers.0.mlp.down_proj", moduleOf("model.layers.0.mlp.up_proj")]]),
    };
    expect(() => mergeAdapter(base, transposed)).toThrow(
      /^adapter: module "model\.layers\.0\.mlp\.down_proj": B @ A is \[128, 64\] but "model\.layers\.0\.mlp\.down_proj\.weight" in \S+model\.bf16\.safetensors is \[64, 128\]; was the adapter trained on another base model \(its adapter_config\.json names "qwen2-tiny-ref"\)\?$/,
    );
    // loadAdapter records the file the errors name.
    expect(adapter.file).toBe(path.join(loraDir, "adapter_model.safetensors"));
    await base.close();
  });
});
