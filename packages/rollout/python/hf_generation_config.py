"""The sampling settings transformers' generate() uses for a model's generation_config.json when the
call names none: model._prepare_generation_config(None) after loading the file (the file's fields, then
transformers' global defaults for the rest).

Reads JSON on stdin: {"model": <checkpoint folder>, "configs": [<generation_config.json object>, ...]}.
Writes JSON on stdout: {"transformers": version, "settings": [{"do_sample", "temperature", "top_k",
"top_p", "min_p", "repetition_penalty", "max_new_tokens"}, ...]}.

Run by src/model-sampling.test.ts (SSB_PYTHON names a python with torch and transformers).
"""

import json
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM, GenerationConfig


def main():
    job = json.load(sys.stdin)
    model = AutoModelForCausalLM.from_pretrained(job["model"], dtype=torch.float32)
    out = []
    for config in job["configs"]:
        model.generation_config = GenerationConfig.from_dict(config)
        g, _ = model._prepare_generation_config(None)
        out.append(
            {
                key: getattr(g, key)
                for key in ["do_sample", "temperature", "top_k", "top_p", "min_p", "repetition_penalty", "max_new_tokens"]
            }
        )
    json.dump({"transformers": transformers.__version__, "settings": out}, sys.stdout)


if __name__ == "__main__":
    main()
