"""Record transformers' RoPE inverse frequencies (ROPE_INIT_FUNCTIONS, the values its rotary embeddings
start from or, for dynamic NTK, recompute at a sequence length) for real configs' rope parameters, into
test/fixtures/rope-inv-freq.json, which src/rope.test.ts compares ropeInverseFrequencies with (no python
needed there). Rerun by hand (python record_rope_inv_freq.py > ../test/fixtures/rope-inv-freq.json) with a
python that has torch and transformers.
"""

import json
import sys

import torch
import transformers
from transformers import LlamaConfig, Qwen2Config
from transformers.modeling_rope_utils import ROPE_INIT_FUNCTIONS
from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding
from transformers.models.qwen2.modeling_qwen2 import Qwen2RotaryEmbedding

# "default" is not in ROPE_INIT_FUNCTIONS (5.x): each model's rotary class computes it.
DEFAULT_INIT = {LlamaConfig: LlamaRotaryEmbedding.compute_default_rope_parameters, Qwen2Config: Qwen2RotaryEmbedding.compute_default_rope_parameters}

LLAMA31_SCALING = {
    "rope_type": "llama3",
    "factor": 8.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
    "original_max_position_embeddings": 8192,
}

# name: (config class, config.json fields, sequence lengths to evaluate at (None: the init value))
CASES = {
    # Llama-3.2-1B-Instruct: head_dim 64, theta 500000, llama3 factor 32.
    "llama-3.2-1b": (
        LlamaConfig,
        {
            "hidden_size": 2048,
            "num_attention_heads": 32,
            "head_dim": 64,
            "max_position_embeddings": 131072,
            "rope_scaling": {**LLAMA31_SCALING, "factor": 32.0},
            "rope_theta": 500000.0,
        },
        [None],
    ),
    # Llama-3.1-8B-Instruct: head_dim 128 (4096 / 32), llama3 factor 8, in transformers 5's rope_parameters form.
    "llama-3.1-8b": (
        LlamaConfig,
        {
            "hidden_size": 4096,
            "num_attention_heads": 32,
            "max_position_embeddings": 131072,
            "rope_parameters": {**LLAMA31_SCALING, "rope_theta": 500000.0},
        },
        [None],
    ),
    # Qwen2.5-7B-Instruct: head_dim 128, theta 1e6, no scaling.
    "qwen2.5-7b": (
        Qwen2Config,
        {"hidden_size": 3584, "num_attention_heads": 28, "max_position_embeddings": 32768, "rope_theta": 1000000.0},
        [None],
    ),
    "linear-factor-4": (
        LlamaConfig,
        {
            "hidden_size": 4096,
            "num_attention_heads": 32,
            "max_position_embeddings": 4096,
            "rope_scaling": {"type": "linear", "factor": 4.0},
            "rope_theta": 10000.0,
        },
        [None],
    ),
    "dynamic-factor-2": (
        LlamaConfig,
        {
            "hidden_size": 4096,
            "num_attention_heads": 32,
            "max_position_embeddings": 4096,
            "rope_scaling": {"type": "dynamic", "factor": 2.0},
            "rope_theta": 10000.0,
        },
        [None, 100, 4096, 4097, 6000, 16384],
    ),
    # transformers ignores original_max_position_embeddings for dynamic (it warns "Unrecognized keys") and
    # measures from max_position_embeddings.
    "dynamic-with-original-max": (
        LlamaConfig,
        {
            "hidden_size": 64,
            "num_attention_heads": 4,
            "max_position_embeddings": 16,
            "rope_parameters": {
                "rope_type": "dynamic",
                "rope_theta": 10000.0,
                "factor": 2.0,
                "original_max_position_embeddings": 8,
            },
        },
        [None, 12, 20],
    ),
}


def main():
    out = {"transformers": transformers.__version__, "cases": {}}
    for name, (config_class, fields, lengths) in CASES.items():
        config = config_class(**fields)
        rope_type = config.rope_parameters["rope_type"]
        values = {}
        for seq_len in lengths:
            init = DEFAULT_INIT[config_class] if rope_type == "default" else ROPE_INIT_FUNCTIONS[rope_type]
            inv_freq, attention_scaling = init(config, torch.device("cpu"), seq_len=seq_len)
            assert attention_scaling == 1.0
            values["init" if seq_len is None else str(seq_len)] = inv_freq.tolist()
        out["cases"][name] = {"config": {"architectures": [config_class.__name__.replace("Config", "ForCausalLM")], **fields}, "inv_freq": values}
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
