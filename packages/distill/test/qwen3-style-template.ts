/**
 * A chat template with the part of Qwen3's that `enable_thinking` changes: with it false, the generation
 * prompt gets the empty think block (`<think>\n\n</think>\n\n`, Qwen3's non-thinking mode). `style`, when
 * given, is written after it (a second variable, for kwargs in another key order).
 */
export const QWEN3_STYLE_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}" +
  "{% if enable_thinking is defined and enable_thinking is false %}{{ '<think>\\n\\n</think>\\n\\n' }}{% endif %}" +
  "{% if style is defined %}{{ style }}{% endif %}{% endif %}";
