/**
 * Exports of damaged copies of the fixture checkpoint: each is refused naming the file and the tensor or field,
 * and leaves no model.onnx in the output folder.
 */
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tinyRefDir } from "../test/paths.js";
import { exportOnnx } from "./export-onnx.js";
import { firstNonFinite } from "./finite-weights.js";

let workDir: string;
beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), "ssb-export-broken-"));
});
afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

type Header = Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;

/** A copy of the fixture (config, weights, tokenizer, LoRA) whose weights file `edit` may rewrite. */
async function brokenCopy(
  name: string,
  edit: (header: Header, data: Buffer) => Buffer | undefined,
  configEdit?: (config: Record<string, unknown>) => void,
): Promise<string> {
  const dir = path.join(workDir, name);
  await mkdir(path.join(dir, "lora"), { recursive: true });
  for (const file of [
    "tokenizer.json",
    "tokenizer_config.json",
    "lora/adapter_config.json",
    "lora/adapter_model.safetensors",
  ])
    await copyFile(path.join(tinyRefDir, file), path.join(dir, file));
  const config = JSON.parse(await readFile(path.join(tinyRefDir, "config.json"), "utf8")) as Record<
    string,
    unknown
  >;
  configEdit?.(config);
  await writeFile(path.join(dir, "config.json"), JSON.stringify(config));
  const bytes = await readFile(path.join(tinyRefDir, "model.safetensors"));
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8")) as Header;
  const data = Buffer.from(bytes.subarray(8 + headerLength));
  const newData = edit(header, data) ?? data;
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  await writeFile(path.join(dir, "model.safetensors"), Buffer.concat([prefix, Buffer.from(json), newData]));
  return dir;
}

async function expectRefused(modelDir: string, message: RegExp, adapter = false): Promise<void> {
  const outDir = path.join(modelDir, "..", `${path.basename(modelDir)}-onnx`);
  const options = { modelDir, outDir, ...(adapter ? { adapterDir: path.join(modelDir, "lora") } : {}) };
  await expect(exportOnnx(options)).rejects.toThrow(message);
  // The folder the export made is gone with it.
  await expect(stat(outDir)).rejects.toThrow(/ENOENT/);
}

describe("export of a broken checkpoint", () => {
  it("names the weights file and tie_word_embeddings when an untied checkpoint has no lm_head.weight", async () => {
    const dir = await brokenCopy(
      "untied",
      () => undefined,
      (c) => {
        c.tie_word_embeddings = false;
      },
    );
    await expectRefused(
      dir,
      /untied\/model\.safetensors: missing tensor "lm_head\.weight" \(expected shape \[256, 64\]\) \(config\.json sets tie_word_embeddings to false\)/,
    );
  });

  it("names the file for a tensor whose shape disagrees with config.json", async () => {
    const dir = await brokenCopy("shape", (header) => {
      const norm = header["model.norm.weight"];
      if (norm) {
        norm.shape = [32];
        norm.data_offsets = [norm.data_offsets[0], norm.data_offsets[0] + 128];
      }
      return undefined;
    });
    await expectRefused(
      dir,
      /shape\/model\.safetensors: tensor "model\.norm\.weight": expected shape \[64\] from config\.json, found \[32\]/,
    );
  });

  it("says a vocab_size that disagrees with the weights as such, before comparing the tokenizer with it", async () => {
    const dir = await brokenCopy(
      "vocab-size",
      () => undefined,
      (c) => {
        c.vocab_size = 200;
      },
    );
    await expectRefused(
      dir,
      /vocab-size\/model\.safetensors: tensor "model\.embed_tokens\.weight": expected shape \[200, 64\] from config\.json, found \[256, 64\]/,
    );
  });

  it("refuses weights with more layers than config.json says (the extra layers were dropped)", async () => {
    const dir = await brokenCopy(
      "layers",
      () => undefined,
      (c) => {
        c.num_hidden_layers = 1;
      },
    );
    await expectRefused(
      dir,
      /layers\/model\.safetensors: holds layers up to 1 \(e\.g\. "model\.layers\.1\.[a-z_.]+"\) but config\.json's num_hidden_layers is 1; is config\.json from another model\?/,
    );
  });

  it("refuses a weight whose header says an integer dtype (it was read as float32 and exported)", async () => {
    const dir = await brokenCopy("int", (header) => {
      const norm = header["model.norm.weight"];
      if (norm) norm.dtype = "I32";
      return undefined;
    });
    await expectRefused(
      dir,
      /int\/model\.safetensors: tensor "model\.norm\.weight": dtype I32 is not a float type/,
    );
  });

  it("refuses a NaN weight naming the file, tensor and element (it exported NaN logits)", async () => {
    const name = "model.layers.0.self_attn.q_proj.weight";
    const dir = await brokenCopy("nan", (header, data) => {
      const start = header[name]?.data_offsets[0] ?? 0;
      data.writeFloatLE(Number.NaN, start + 4 * 5);
      data.writeFloatLE(Number.POSITIVE_INFINITY, start + 4 * 7);
      return data;
    });
    await expectRefused(
      dir,
      new RegExp(`nan/model\\.safetensors: tensor "${name.replaceAll(".", "\\.")}": element 5 is NaN`),
    );
  });

  it("blames the adapter's file when the merge (not the base) makes a weight infinite", async () => {
    const dir = await brokenCopy("nan-lora", () => undefined);
    const file = path.join(dir, "lora", "adapter_model.safetensors");
    const bytes = await readFile(file);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8")) as Header;
    const key = "base_model.model.model.layers.1.mlp.up_proj.lora_B.weight";
    const offset = 8 + headerLength + (header[key]?.data_offsets[0] ?? 0);
    bytes.writeFloatLE(Number.POSITIVE_INFINITY, offset);
    await writeFile(file, bytes);
    await expectRefused(
      dir,
      /nan-lora\/lora\/adapter_model\.safetensors: tensor "model\.layers\.1\.mlp\.up_proj\.weight": element \d+ is -?Infinity once this adapter is merged/,
      true,
    );
  });

  it("refuses a truncated tokenizer.json before writing (it was copied and the export looked complete)", async () => {
    const dir = await brokenCopy("tokenizer", () => undefined);
    await writeFile(path.join(dir, "tokenizer.json"), '{"model": ');
    await expectRefused(dir, /tokenizer\/tokenizer\.json:1:11: not valid JSON/);
  });

  it("refuses a tokenizer with more tokens than vocab_size (another model's; loadCheckpoint refuses it too)", async () => {
    const dir = await brokenCopy("vocab", () => undefined);
    const file = path.join(dir, "tokenizer.json");
    const tokenizer = JSON.parse(await readFile(file, "utf8")) as { added_tokens: unknown[] };
    tokenizer.added_tokens.push({
      id: 300,
      content: "<|extra|>",
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    });
    await writeFile(file, JSON.stringify(tokenizer));
    await expectRefused(
      dir,
      /vocab\/tokenizer\.json: the tokenizer has \d+ tokens but config\.json's vocab_size is 256; is it another model's tokenizer\?/,
    );
  });

  it("warns when tokenizer.json has no tokenizer_config.json beside it (no chat template), and exports", async () => {
    const dir = await brokenCopy("no-tokenizer-config", () => undefined);
    await rm(path.join(dir, "tokenizer_config.json"));
    const warnings: string[] = [];
    await exportOnnx({ modelDir: dir, outDir: `${dir}-onnx`, warn: (m) => void warnings.push(m) });
    expect(warnings).toEqual([
      expect.stringMatching(
        /^warning: \S*no-tokenizer-config\/tokenizer_config\.json is missing: the export has no chat template/,
      ),
    ]);
  });

  it("warns when the tokenizer does not load (a chat template that does not parse) and exports", async () => {
    const dir = await brokenCopy("bad-template", () => undefined);
    await writeFile(path.join(dir, "tokenizer_config.json"), JSON.stringify({ chat_template: "{% if %}" }));
    const warnings: string[] = [];
    const outDir = `${dir}-onnx`;
    await exportOnnx({ modelDir: dir, outDir, warn: (m) => void warnings.push(m) });
    expect(warnings).toEqual([
      expect.stringMatching(
        /^warning: \S*bad-template\/tokenizer_config\.json: chat_template does not parse \(.*\); the export's tokenizer cannot be loaded/,
      ),
    ]);
    expect(await readdir(outDir)).toContain("model.onnx");
  });

  it("removes the --out folders it made when the export fails, and leaves one that was there", async () => {
    const dir = await brokenCopy(
      "made",
      () => undefined,
      (c) => {
        c.tie_word_embeddings = false;
      },
    );
    const made = path.join(workDir, "made-out");
    await expect(exportOnnx({ modelDir: dir, outDir: path.join(made, "a", "b") })).rejects.toThrow(/lm_head/);
    await expect(stat(made)).rejects.toThrow(/ENOENT/);
    const there = path.join(workDir, "there-out");
    await mkdir(there);
    await expect(exportOnnx({ modelDir: dir, outDir: there })).rejects.toThrow(/lm_head/);
    expect(await readdir(there)).toEqual([]);
  });

  it("refuses --external-data never past 2 GiB before writing, naming the output and the option", async () => {
    // An embedding of 8.4M x 64 float32 (2.15 GB) in a sparse file: only headers are read before the refusal.
    const vocab = 8_400_000;
    const dir = await brokenCopy(
      "huge",
      (header, data) => {
        const embed = header["model.embed_tokens.weight"];
        if (embed) {
          embed.shape = [vocab, 64];
          embed.data_offsets = [data.length, data.length + vocab * 64 * 4];
        }
        return undefined;
      },
      (c) => {
        c.vocab_size = vocab;
      },
    );
    const file = path.join(dir, "model.safetensors");
    const headerLength = Number((await readFile(file)).readBigUInt64LE(0));
    const embedEnd = JSON.parse((await readFile(file)).subarray(8, 8 + headerLength).toString("utf8"))[
      "model.embed_tokens.weight"
    ].data_offsets[1] as number;
    await truncate(file, 8 + headerLength + embedEnd);
    const outDir = `${dir}-onnx`;
    await expect(exportOnnx({ modelDir: dir, outDir, externalData: false })).rejects.toThrow(
      /huge-onnx\/model\.onnx: the weights are 2\.\d+ GB of float32, past protobuf's 2 GiB limit for one model\.onnx, so they cannot be inline: use externalData "auto" or true \(ssb-export-onnx --external-data auto or always\)/,
    );
    await expect(stat(outDir)).rejects.toThrow(/ENOENT/);
  });

  it("warns when a tied config's stored lm_head.weight differs from the embedding, and not when equal", async () => {
    const withHead = (change: boolean) => (header: Header, data: Buffer) => {
      const embed = header["model.embed_tokens.weight"];
      if (!embed) return undefined;
      const head = Buffer.from(data.subarray(embed.data_offsets[0], embed.data_offsets[1]));
      if (change) head.writeFloatLE(head.readFloatLE(0) + 1, 0);
      header["lm_head.weight"] = { ...embed, data_offsets: [data.length, data.length + head.length] };
      return Buffer.concat([data, head]);
    };
    for (const change of [false, true]) {
      const dir = await brokenCopy(`tied-head-${change}`, withHead(change));
      const warnings: string[] = [];
      await exportOnnx({ modelDir: dir, outDir: `${dir}-onnx`, warn: (m) => void warnings.push(m) });
      expect(warnings).toEqual(
        change
          ? [
              expect.stringMatching(
                /^warning: config\.json sets tie_word_embeddings but \S+tied-head-true\/model\.safetensors also holds lm_head\.weight, which differs from model\.embed_tokens\.weight: the export's LM head is lm_head\.weight/,
              ),
            ]
          : [],
      );
    }
  });

  it("finds the first NaN or infinity", () => {
    expect(firstNonFinite(new Float32Array([1, -0, 3.4e38]))).toBe(-1);
    expect(firstNonFinite(new Float32Array([1, Number.NEGATIVE_INFINITY, Number.NaN]))).toBe(1);
    expect(firstNonFinite(new Float32Array([Number.NaN]))).toBe(0);
  });
});
