"""transformers' greedy decoding (generate(do_sample=False)) of token-id prompts, one prompt at a time,
with the raw logits of every step.

Reads JSON on stdin: {"model": <checkpoint folder>, "prompts": [[int, ...], ...], "steps": int}.
Writes JSON on stdout: {"transformers": version, "results": [{"ids": [generated ids], "logits": [[float
x vocab] per step]}]}. No stop token: every prompt gets `steps` tokens.

Run by src/third-party-onnx.test.ts (SSB_PYTHON names a python with torch and transformers).
"""

import json
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM


def main():
    job = json.load(sys.stdin)
    model = AutoModelForCausalLM.from_pretrained(job["model"], dtype=torch.float32)
    model.eval()
    results = []
    for prompt in job["prompts"]:
        ids = torch.tensor([prompt], dtype=torch.long)
        with torch.no_grad():
            out = model.generate(
                ids,
                attention_mask=torch.ones_like(ids),
                do_sample=False,
                max_new_tokens=job["steps"],
                min_new_tokens=job["steps"],
                eos_token_id=None,
                pad_token_id=0,
                output_logits=True,
                return_dict_in_generate=True,
            )
        results.append(
            {
                "ids": out.sequences[0, len(prompt) :].tolist(),
                "logits": [step[0].tolist() for step in out.logits],
            }
        )
    json.dump({"transformers": transformers.__version__, "results": results}, sys.stdout)


if __name__ == "__main__":
    main()
