import type { ModelConfig } from "./config.js";

/**
 * RoPE inverse frequencies for one head (length headDim / 2), in float64, following transformers'
 * `rope_init_fn`s: inv_freq_i = theta^(-2i / D), then the config's `rope_scaling` applied.
 * `seqLen` matters only for `dynamic` scaling, whose base grows once a sequence is longer than
 * the trained context; other types ignore it. Consumers pair dim i with dim i + D/2 (rotate_half).
 */
export function ropeInverseFrequencies(config: ModelConfig, seqLen?: number): Float64Array {
  const dim = config.headDim;
  const half = dim / 2;
  const scaling = config.ropeScaling;
  let base = config.ropeTheta;
  if (scaling?.type === "dynamic" && seqLen !== undefined) {
    // transformers measures from max_position_embeddings; an original_max_position_embeddings in the
    // scaling is ignored by it (5.17 warns "Unrecognized keys"), so it is here.
    const trained = config.maxPositionEmbeddings;
    if (seqLen > trained) {
      base *= ((scaling.factor * seqLen) / trained - (scaling.factor - 1)) ** (dim / (dim - 2));
    }
  }
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / base ** ((2 * i) / dim);

  if (scaling?.type === "linear") {
    for (let i = 0; i < half; i++) inv[i] = (inv[i] as number) / scaling.factor;
  } else if (scaling?.type === "llama3") {
    const { factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings: context } = scaling;
    const lowFreqWavelen = context / lowFreqFactor;
    const highFreqWavelen = context / highFreqFactor;
    for (let i = 0; i < half; i++) {
      const freq = inv[i] as number;
      const wavelen = (2 * Math.PI) / freq;
      if (wavelen > lowFreqWavelen) {
        inv[i] = freq / factor; // long wavelengths: fully interpolated
      } else if (wavelen >= highFreqWavelen) {
        // the band in between: blend interpolated and original frequency
        const smooth = (context / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
        inv[i] = ((1 - smooth) * freq) / factor + smooth * freq;
      }
    }
  }
  return inv;
}
