"""Shrunk copies of real published configs (the cases of ../../distill/python/transformers_configs.py), given
random weights by transformers and saved with save_pretrained, and transformers' greedy decoding of a few
prompts on each: the reference for src/transformers-configs.test.ts, which exports each checkpoint with
@ssb/model and generates with the Generator.

Usage: hf_real_configs.py <out dir> <steps>. Writes <out dir>/<case>/ and prints JSON on stdout:
{"transformers": version, "cases": {case: {"prompts": [[id, ...]], "results": [{"ids": [generated ids],
"logits": [[float x vocab] per step], "forced": [[float x vocab] per step]}]}}}: "logits" are generate's
(do_sample=False, no stop token), "forced" one forward pass over prompt + generated ids (teacher-forced
scoring). Both in float64 from the saved weights, one freshly loaded model per prompt (dynamic NTK rope
keeps state between calls).
"""

import json
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config

SMALL = dict(num_hidden_layers=2, vocab_size=128, bos_token_id=1, eos_token_id=2, initializer_range=0.2)

CASES = {
    # Llama-3.2-1B-Instruct: explicit head_dim (here 24, not hidden / heads = 8), 32 heads over 8 KV heads
    # (here 8 over 2), tied head, llama3 scaling factor 32, low 1, high 4 (original 8192 there, 32 here),
    # rope_theta 500000, rms_norm_eps 1e-5.
    "llama-3.2-1b": (
        LlamaConfig,
        dict(
            hidden_size=64,
            intermediate_size=96,
            num_attention_heads=8,
            num_key_value_heads=2,
            head_dim=24,
            max_position_embeddings=128,
            rms_norm_eps=1e-5,
            tie_word_embeddings=True,
            rope_parameters={
                "rope_type": "llama3",
                "rope_theta": 500000.0,
                "factor": 32.0,
                "low_freq_factor": 1.0,
                "high_freq_factor": 4.0,
                "original_max_position_embeddings": 32,
            },
        ),
        {},
    ),
    # Llama-3.1-8B-Instruct: untied head, llama3 factor 8; attention_bias and mlp_bias on (Llama allows
    # both); saved as bfloat16, as published.
    "llama-3.1-8b-bias-bf16": (
        LlamaConfig,
        dict(
            hidden_size=64,
            intermediate_size=112,
            num_attention_heads=4,
            num_key_value_heads=1,
            max_position_embeddings=128,
            rms_norm_eps=1e-5,
            tie_word_embeddings=False,
            attention_bias=True,
            mlp_bias=True,
            rope_parameters={
                "rope_type": "llama3",
                "rope_theta": 500000.0,
                "factor": 8.0,
                "low_freq_factor": 1.0,
                "high_freq_factor": 4.0,
                "original_max_position_embeddings": 16,
            },
        ),
        {"dtype": torch.bfloat16},
    ),
    # Qwen2.5-0.5B-Instruct: tied head, q/k/v biases, 14 heads over 2 KV heads (head_dim 8 here),
    # rope_theta 1e6, rms_norm_eps 1e-6, sliding_window set but use_sliding_window false.
    "qwen2.5-0.5b": (
        Qwen2Config,
        dict(
            hidden_size=112,
            intermediate_size=160,
            num_attention_heads=14,
            num_key_value_heads=2,
            max_position_embeddings=64,
            rms_norm_eps=1e-6,
            tie_word_embeddings=True,
            sliding_window=64,
            use_sliding_window=False,
            max_window_layers=2,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
        ),
        {},
    ),
    # Qwen2.5-7B-Instruct: untied head, 28 heads over 4 KV heads (head_dim 8 here); sharded, as published.
    "qwen2.5-7b-sharded": (
        Qwen2Config,
        dict(
            hidden_size=224,
            intermediate_size=128,
            initializer_range=0.1,  # the wider hidden size at 0.2 gives logits of ~20, float32's error with them
            num_attention_heads=28,
            num_key_value_heads=4,
            max_position_embeddings=64,
            rms_norm_eps=1e-6,
            tie_word_embeddings=False,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
        ),
        {"max_shard_size": "40KB"},
    ),
    # Linear position interpolation (factor 4), written in the older form that most published configs
    # use: "rope_scaling" with "type", "rope_theta" at the top level.
    "llama-linear-legacy-form": (
        LlamaConfig,
        dict(
            hidden_size=64,
            intermediate_size=96,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=64,
            rms_norm_eps=1e-6,
            rope_parameters={"rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0},
        ),
        {"legacy": {"rope_scaling": {"type": "linear", "factor": 4.0}, "rope_theta": 10000.0}},
    ),
    # Dynamic NTK (factor 2) with a 16-position trained context: prompts of 24 run past it, where the base
    # is recomputed from the sequence length.
    "llama-dynamic": (
        LlamaConfig,
        dict(
            hidden_size=64,
            intermediate_size=96,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=16,
            rms_norm_eps=1e-5,
            rope_parameters={"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0},
        ),
        {},
    ),
}

# The Generator refuses sequences longer than max_position_embeddings: the dynamic case's context here holds
# the longest prompt and its reply (the past-the-context behaviour is @ssb/model's export test's).
CASES["llama-dynamic"][1]["max_position_embeddings"] = 24

PROMPTS = [[1, 17, 99, 5], [1] + [(7 * i + 3) % 128 for i in range(9)], [42]]


def save_case(name, config_class, fields, options, out):
    torch.manual_seed(sum(map(ord, name)))
    config = config_class(**{**SMALL, **fields})
    model = AutoModelForCausalLM.from_config(config)
    # Visible weights everywhere: random norm gains and biases, not HF's ones and zeros.
    with torch.no_grad():
        for param_name, param in model.named_parameters():
            if param_name.endswith("norm.weight"):
                param.uniform_(0.5, 1.5)
            elif param_name.endswith(".bias"):
                param.normal_(0, 0.1)
    folder = f"{out}/{name}"
    if "dtype" in options:
        model = model.to(options["dtype"])
    model.save_pretrained(folder, max_shard_size=options.get("max_shard_size", "5GB"))
    if "legacy" in options:
        with open(f"{folder}/config.json") as f:
            written = json.load(f)
        del written["rope_parameters"]
        written.update(options["legacy"])
        with open(f"{folder}/config.json", "w") as f:
            json.dump(written, f, indent=2)
    return folder


def greedy(folder, prompt, steps):
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float64)
    model.eval()
    ids = torch.tensor([prompt], dtype=torch.long)
    with torch.no_grad():
        out = model.generate(
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
    generated = out.sequences[0, len(prompt) :].tolist()
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float64)
    with torch.no_grad():
        forced = model(out.sequences).logits[0, len(prompt) - 1 : -1]
    return {"ids": generated, "logits": [step[0].tolist() for step in out.logits], "forced": forced.tolist()}


def main():
    out, steps = sys.argv[1], int(sys.argv[2])
    cases = {}
    for name, (config_class, fields, options) in CASES.items():
        folder = save_case(name, config_class, fields, options, out)
        cases[name] = {"prompts": PROMPTS, "results": [greedy(folder, p, steps) for p in PROMPTS]}
    json.dump({"transformers": transformers.__version__, "cases": cases}, sys.stdout)


if __name__ == "__main__":
    main()
