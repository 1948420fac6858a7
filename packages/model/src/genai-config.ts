/**
 * `genai_config.json` for an exported decoder: the file ONNX Runtime GenAI reads to drive a
 * decoder-with-past (I/O names, head counts, stop ids, search defaults). Written beside model.onnx
 * so the export runs in onnxruntime-genai as is, and so any session loader can read the I/O names
 * instead of assuming them.
 */
import type { GenerationConfig, ModelConfig } from "./config.js";
import { decoderIo } from "./export-decoder.js";

export const GENAI_CONFIG_FILE = "genai_config.json";

/** onnxruntime-genai's model type per architecture (it knows qwen2, qwen3 and llama). */
const GENAI_MODEL_TYPE: Record<ModelConfig["architecture"], string> = {
  Qwen2ForCausalLM: "qwen2",
  Qwen3ForCausalLM: "qwen3",
  LlamaForCausalLM: "llama",
};

export function genaiConfig(config: ModelConfig, generation: GenerationConfig, modelFileName: string) {
  const eos = generation.eosTokenIds.length > 0 ? generation.eosTokenIds : config.eosTokenIds;
  return {
    model: {
      type: GENAI_MODEL_TYPE[config.architecture],
      bos_token_id: generation.bosTokenId ?? config.bosTokenId ?? 0,
      eos_token_id: eos.length === 1 ? eos[0] : eos,
      pad_token_id: generation.padTokenId ?? config.padTokenId ?? eos[0] ?? 0,
      vocab_size: config.vocabSize,
      context_length: config.maxPositionEmbeddings,
      decoder: {
        session_options: { log_id: "onnxruntime-genai", provider_options: [] },
        filename: modelFileName,
        head_size: config.headDim,
        hidden_size: config.hiddenSize,
        num_attention_heads: config.numHeads,
        num_key_value_heads: config.numKvHeads,
        num_hidden_layers: config.numLayers,
        inputs: {
          input_ids: decoderIo.inputIds,
          attention_mask: decoderIo.attentionMask,
          position_ids: decoderIo.positionIds,
          past_key_names: "past_key_values.%d.key",
          past_value_names: "past_key_values.%d.value",
        },
        outputs: {
          logits: decoderIo.logits,
          present_key_names: "present.%d.key",
          present_value_names: "present.%d.value",
        },
      },
    },
    search: {
      do_sample: generation.doSample,
      temperature: generation.temperature,
      top_k: generation.topK,
      top_p: generation.topP,
      repetition_penalty: generation.repetitionPenalty,
      max_length: generation.maxLength ?? config.maxPositionEmbeddings,
      // present.* is a new tensor each step (past + current), not a preallocated shared buffer
      past_present_share_buffer: false,
      num_beams: 1,
      num_return_sequences: 1,
      early_stopping: true,
      min_length: 0,
      length_penalty: 1,
      no_repeat_ngram_size: 0,
    },
  };
}
