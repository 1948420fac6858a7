"""transformers' dynamic NTK rope past the trained context, for src/transformers-dynamic-rope.test.ts: a
shrunk Llama (max_position_embeddings 16, rope_parameters {"rope_type": "dynamic", "factor": 2}) with random
weights saved by save_pretrained, then for each prompt, on a freshly loaded model each time (the rotary
embedding keeps the length it last grew to): one forward pass over the prompt (every position's logits) and
greedy generate(do_sample=False) with every step's logits. Past 16 positions transformers recomputes the
base at each step while the cache keeps the keys of earlier steps as they were rotated.

Usage: hf_dynamic_rope.py <out dir> <steps>. Writes <out dir>/checkpoint and prints JSON on stdout:
{"transformers": version, "prompts": [[id, ...]], "results": [{"forward": [[float x vocab] per position],
"ids": [generated ids], "logits": [[float x vocab] per step]}]}.
"""

import json
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM, LlamaConfig

PROMPTS = [[1, 17, 99, 5, 64, 3, 8, 120, 77, 31], [1] + [(7 * i + 3) % 128 for i in range(19)]]


def main():
    out, steps = sys.argv[1], int(sys.argv[2])
    torch.manual_seed(5)
    config = LlamaConfig(
        hidden_size=64,
        intermediate_size=96,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        vocab_size=128,
        max_position_embeddings=16,
        rms_norm_eps=1e-5,
        initializer_range=0.2,
        rope_parameters={"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0},
    )
    model = AutoModelForCausalLM.from_config(config)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith("norm.weight"):
                param.uniform_(0.5, 1.5)
    folder = f"{out}/checkpoint"
    model.save_pretrained(folder)

    def fresh():
        m = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float64)
        m.eval()
        return m

    results = []
    for prompt in PROMPTS:
        ids = torch.tensor([prompt])
        with torch.no_grad():
            forward = fresh()(ids).logits[0]
            generated = fresh().generate(
                ids,
                attention_mask=torch.ones_like(ids),
                do_sample=False,
                max_new_tokens=steps,
                min_new_tokens=steps,
                eos_token_id=None,
                pad_token_id=0,
                output_logits=True,
                return_dict_in_generate=True,
            )
        results.append(
            {
                "forward": forward.tolist(),
                "ids": generated.sequences[0, len(prompt) :].tolist(),
                "logits": [step[0].tolist() for step in generated.logits],
            }
        )
    json.dump({"transformers": transformers.__version__, "prompts": PROMPTS, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
