"""Shrunk copies of real published configs (tools/python-reference/real_configs.py, shared with distill), given
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
from pathlib import Path

import torch
import transformers
from transformers import AutoModelForCausalLM

# The cases and their checkpoints are shared with the other package's check (tools/python-reference).
sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools" / "python-reference"))
from real_configs import CASES, save_case  # noqa: E402

# distill's check alone covers a dynamic scaling that carries original_max_position_embeddings (ignored).
CASES = {name: case for name, case in CASES.items() if name != "llama-dynamic-original-max"}

# The Generator refuses sequences longer than max_position_embeddings: the dynamic case's context here holds
# the longest prompt and its reply (the past-the-context behaviour is @ssb/model's export test's).
CASES["llama-dynamic"][1]["max_position_embeddings"] = 24

PROMPTS = [[1, 17, 99, 5], [1] + [(7 * i + 3) % 128 for i in range(9)], [42]]


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
