"""Shrunk copies of real published configs, given random weights by transformers, and transformers' own
logits on a few prompts: the reference for src/transformers-configs.test.ts.

The cases and their checkpoints: tools/python-reference/real_configs.py (shared with @ssb/rollout's check).

Usage: transformers_configs.py <out dir>. Writes <out dir>/<case>/ (a checkpoint as save_pretrained writes
it) and prints JSON {"transformers": version, "cases": {case: {"prompts": [[id, ...]], "logits":
[[[float x vocab] per position] per prompt]}}} on stdout. Logits are computed in float64 from the saved
weights, one prompt per freshly loaded model (dynamic NTK keeps state between calls).
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

PROMPTS = [
    [1, 17, 99, 5, 64, 3],
    [1] + [(7 * i + 3) % 128 for i in range(23)],  # 24 tokens: past every shrunk trained context above
    [1] + [(11 * i + 5) % 128 for i in range(39)],  # 40 tokens: past llama3's original 32
]


def main():
    out = sys.argv[1]
    cases = {}
    for name, (config_class, fields, options) in CASES.items():
        folder = save_case(name, config_class, fields, options, out)
        logits = []
        prompts = PROMPTS
        for prompt in prompts:
            model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float64)
            model.eval()
            with torch.no_grad():
                out_logits = model(torch.tensor([prompt])).logits[0]
            logits.append(out_logits.tolist())
        # How far plain RoPE (the scaling dropped) is from these logits: the test requires it to be well
        # over its tolerance, so that the check can tell the scaling from its absence.
        plain_gap = 0.0
        if fields["rope_parameters"]["rope_type"] != "default":
            plain = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float64)
            plain.config.rope_parameters = {"rope_type": "default", "rope_theta": plain.config.rope_parameters["rope_theta"]}
            plain.model.rotary_emb = type(plain.model.rotary_emb)(plain.config)
            with torch.no_grad():
                for prompt, expected in zip(prompts, logits):
                    got = plain(torch.tensor([prompt])).logits[0]
                    plain_gap = max(plain_gap, (got - torch.tensor(expected, dtype=torch.float64)).abs().max().item())
        cases[name] = {"prompts": prompts, "logits": logits, "plain_rope_gap": plain_gap}
    json.dump({"transformers": transformers.__version__, "cases": cases}, sys.stdout)


if __name__ == "__main__":
    main()
