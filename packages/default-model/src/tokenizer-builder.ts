import { BYTE_TO_CHAR, PRETOKENIZE_PATTERN, preTokenize, toByteLevel } from "./byte-level.js";

/** ChatML special tokens, as Qwen2.5 names them; ids follow the learned vocabulary in this order. */
export const SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] as const;

/** Qwen2.5-style ChatML, without Qwen's default system prompt or tool calling. */
export const CHATML_TEMPLATE =
  "{%- for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}" +
  "{%- endfor %}{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}";

export interface BuildTokenizerOptions {
  /**
   * Largest vocabulary size, counting the 256 bytes and the special tokens. An upper bound: merging stops
   * early once no pair is left among pre-tokens seen `minFrequency` times, and the vocabulary is then smaller.
   */
  vocabSize: number;
  /** Pre-tokens seen fewer times than this take part in no merge. Default 2. */
  minFrequency?: number;
  modelMaxLength?: number;
}

export interface BuiltTokenizer {
  /** Contents of `tokenizer.json` (HF tokenizers format). */
  tokenizer: Record<string, unknown>;
  /** Contents of `tokenizer_config.json`, with the chat template. */
  tokenizerConfig: Record<string, unknown>;
  /** Ids of the special tokens. */
  specialTokenIds: Record<(typeof SPECIAL_TOKENS)[number], number>;
  merges: [string, string][];
}

interface Word {
  symbols: string[];
  count: number;
}

function countWords(corpus: Iterable<string>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of corpus) {
    for (const piece of preTokenize(text)) counts.set(piece, (counts.get(piece) ?? 0) + 1);
  }
  return counts;
}

/** The most frequent adjacent pair; ties go to the pair that sorts first, so training is deterministic. */
function bestPair(words: Word[]): [string, string] | null {
  const counts = new Map<string, number>();
  for (const w of words) {
    for (let i = 0; i + 1 < w.symbols.length; i++) {
      const key = `${w.symbols[i]}\u0000${w.symbols[i + 1]}`;
      counts.set(key, (counts.get(key) ?? 0) + w.count);
    }
  }
  let best: string | null = null;
  let bestCount = 0;
  for (const [key, count] of counts) {
    if (count > bestCount || (count === bestCount && best !== null && key < best)) {
      best = key;
      bestCount = count;
    }
  }
  if (best === null) return null;
  const [a, b] = best.split("\u0000") as [string, string];
  return [a, b];
}

function applyMerge(words: Word[], a: string, b: string): void {
  const merged = a + b;
  for (const w of words) {
    const s = w.symbols;
    for (let i = 0; i + 1 < s.length; i++) {
      if (s[i] === a && s[i + 1] === b) s.splice(i, 2, merged);
    }
  }
}

/**
 * Trains a byte-level BPE tokenizer (the scheme of GPT-2 and Qwen2) on a corpus and writes it in Hugging
 * Face's `tokenizer.json` format, with ChatML special tokens and a chat template, so it loads through
 * @huggingface/tokenizers and @huggingface/jinja exactly like Qwen's. Digits are never merged: every number
 * is spelled one digit per token.
 */
export function buildTokenizer(corpus: Iterable<string>, options: BuildTokenizerOptions): BuiltTokenizer {
  const minFrequency = options.minFrequency ?? 2;
  const mergeBudget = options.vocabSize - 256 - SPECIAL_TOKENS.length;
  if (mergeBudget < 0)
    throw new Error(
      `buildTokenizer: vocabSize ${options.vocabSize} is below 256 bytes + ${SPECIAL_TOKENS.length} special tokens`,
    );

  const words: Word[] = [...countWords(corpus)]
    .filter(([, count]) => count >= minFrequency)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([text, count]) => ({ symbols: toByteLevel(text), count }));

  const vocab: Record<string, number> = {};
  BYTE_TO_CHAR.forEach((ch, i) => {
    vocab[ch] = i;
  });
  const merges: [string, string][] = [];
  while (merges.length < mergeBudget) {
    const pair = bestPair(words);
    if (pair === null) break;
    merges.push(pair);
    vocab[pair[0] + pair[1]] = 256 + merges.length - 1;
    applyMerge(words, pair[0], pair[1]);
  }

  const firstSpecial = 256 + merges.length;
  const specialTokenIds = Object.fromEntries(
    SPECIAL_TOKENS.map((t, i) => [t, firstSpecial + i]),
  ) as BuiltTokenizer["specialTokenIds"];
  const addedTokens = SPECIAL_TOKENS.map((content, i) => ({
    id: firstSpecial + i,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));

  const tokenizer = {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: null,
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: PRETOKENIZE_PATTERN }, behavior: "Isolated", invert: false },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: "",
      end_of_word_suffix: "",
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
  const tokenizerConfig = {
    tokenizer_class: "Qwen2Tokenizer",
    model_max_length: options.modelMaxLength ?? 2048,
    bos_token: null,
    eos_token: "<|im_end|>",
    pad_token: "<|endoftext|>",
    unk_token: null,
    clean_up_tokenization_spaces: false,
    split_special_tokens: false,
    added_tokens_decoder: Object.fromEntries(addedTokens.map(({ id, ...rest }) => [String(id), rest])),
    chat_template: CHATML_TEMPLATE,
  };
  return { tokenizer, tokenizerConfig, specialTokenIds, merges };
}
