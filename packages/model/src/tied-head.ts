/**
 * A checkpoint whose config ties the word embeddings but which also stores `lm_head.weight` (Qwen1.5-0.5B-Chat's
 * first upload did): transformers ties the head to the embedding on load and vLLM skips the stored head, so
 * where the two differ they compute other logits than ssb, which (like @ssb/distill's trainer) uses the stored
 * head. Said, not refused: the stored head may be the one that was trained.
 */
import { Buffer } from "node:buffer";
import type { ModelConfig } from "./config.js";
import type { TensorSource } from "./safetensors.js";
import { EMBED_TOKENS_WEIGHT, LM_HEAD_WEIGHT } from "./weight-names.js";

/** The warning for a tied config whose stored lm_head.weight differs from the embedding, else null. */
export async function tiedHeadWarning(config: ModelConfig, weights: TensorSource): Promise<string | null> {
  if (!config.tieWordEmbeddings || !weights.has(LM_HEAD_WEIGHT) || !weights.has(EMBED_TOKENS_WEIGHT))
    return null;
  const head = weights.info(LM_HEAD_WEIGHT);
  const embed = weights.info(EMBED_TOKENS_WEIGHT);
  let same: boolean;
  if (head.dtype === embed.dtype) {
    const [a, b] = [await weights.read(LM_HEAD_WEIGHT), await weights.read(EMBED_TOKENS_WEIGHT)];
    same = Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(
      Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength),
    );
  } else {
    const [a, b] = [
      await weights.readFloat32(LM_HEAD_WEIGHT),
      await weights.readFloat32(EMBED_TOKENS_WEIGHT),
    ];
    same = a.data.length === b.data.length && a.data.every((v, i) => Object.is(v, b.data[i]));
  }
  if (same) return null;
  return (
    `warning: config.json sets tie_word_embeddings but ${head.file} also holds ${LM_HEAD_WEIGHT}, which differs ` +
    `from ${EMBED_TOKENS_WEIGHT}: the export's LM head is ${LM_HEAD_WEIGHT} (as @ssb/distill trains it), while ` +
    "transformers and vLLM use the embedding; set tie_word_embeddings to false if the stored head is meant"
  );
}
