"""Shrunk copies of real published configs, for the python checks of @ssb/distill (tfjs forward) and @ssb/rollout
(ONNX export + generation) against transformers: python/transformers_configs.py and python/hf_real_configs.py
in those packages put this folder on sys.path and import it.

Each case keeps the fields that change the computation (rope type and its parameters, explicit head_dim,
tied or untied LM head, attention / MLP biases, rms_norm_eps, GQA) and shrinks the sizes (2 layers, small
hidden, vocab 128), with the trained context small enough that the prompts run past it. `save_case` gives a
case seeded random weights (visible norm gains and biases) and writes it with save_pretrained, in the dtype,
shards and config form the case asks for. Random norm gains include Qwen3's q_norm / k_norm.
"""

import json

import torch
from transformers import AutoModelForCausalLM, LlamaConfig, Qwen2Config, Qwen3Config

# initializer_range 0.2 (HF's is 0.02): attention scores of order 1, so that a wrong rotation shows in the logits.
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
    # The same with an original_max_position_embeddings (8) in the dynamic scaling, as some published
    # configs carry: transformers ignores it (it warns "Unrecognized keys") and measures from
    # max_position_embeddings (16).
    "llama-dynamic-original-max": (
        LlamaConfig,
        dict(
            hidden_size=64,
            intermediate_size=96,
            num_attention_heads=4,
            num_key_value_heads=2,
            max_position_embeddings=16,
            rms_norm_eps=1e-5,
            rope_parameters={
                "rope_type": "dynamic",
                "rope_theta": 10000.0,
                "factor": 2.0,
                "original_max_position_embeddings": 8,
            },
        ),
        {},
    ),
    # Qwen3-0.6B: explicit head_dim 128 with hidden 1024 and 16 heads over 8 KV heads (here 16 with hidden 64
    # and 8 over 4: heads * head_dim = 2 * hidden, as there), q_norm / k_norm over head_dim (random gains below),
    # no attention biases, tied head, rope_theta 1e6, rms_norm_eps 1e-6; saved in transformers 5's form.
    "qwen3-0.6b": (
        Qwen3Config,
        dict(
            hidden_size=64,
            intermediate_size=192,
            num_attention_heads=8,
            num_key_value_heads=4,
            head_dim=16,
            max_position_embeddings=64,
            rms_norm_eps=1e-6,
            tie_word_embeddings=True,
            attention_bias=False,
            use_sliding_window=False,
            max_window_layers=2,
            rope_parameters={"rope_type": "default", "rope_theta": 1000000.0},
        ),
        {},
    ),
}


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
