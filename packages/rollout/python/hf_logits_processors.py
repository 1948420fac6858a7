"""The sampling distribution transformers' generate() draws from, for logits rows and token histories.

Reads JSON on stdin: {"model": <folder of a transformers checkpoint>, "cases": [{"logits": [float | null, ...]
(null = -inf), "inputIds": [int, ...] (prompt + tokens generated so far), "settings": {"temperature",
"topK", "topP", "minP", "repetitionPenalty"} (@ssb/rollout's names and meanings)}]}.
Writes JSON on stdout: {"transformers": version, "cases": [{"processors": [class names, in order],
"probs": [float, ...]}]}, where probs = softmax of the row after every processor generate() builds for
those settings (model._get_logits_processor, the list generate() itself uses), in float32 as generate()
computes it. Temperature 0 means greedy (do_sample=False): probs is one-hot at the argmax of the
processed row, as generate() picks it.

Run by src/hf-logits-processors.test.ts (SSB_PYTHON names a python with torch and transformers).
"""

import json
import sys

import torch
import transformers
from transformers import AutoModelForCausalLM, GenerationConfig


def generation_config(s):
    greedy = s["temperature"] == 0
    return GenerationConfig(
        do_sample=not greedy,
        temperature=None if greedy else float(s["temperature"]),
        top_k=int(s["topK"]),
        top_p=float(s["topP"]),
        min_p=float(s["minP"]) if s["minP"] > 0 else None,
        repetition_penalty=float(s["repetitionPenalty"]),
    )


def main():
    job = json.load(sys.stdin)
    model = AutoModelForCausalLM.from_pretrained(job["model"], dtype=torch.float32)
    out = []
    for case in job["cases"]:
        config = generation_config(case["settings"])
        ids = torch.tensor([case["inputIds"]], dtype=torch.long)
        processors = model._get_logits_processor(
            generation_config=config, input_ids_seq_length=ids.shape[1], device="cpu"
        )
        row = [float("-inf") if v is None else v for v in case["logits"]]
        scores = torch.tensor([row], dtype=torch.float32)
        scores = processors(ids, scores)
        if config.do_sample:
            probs = torch.softmax(scores, dim=-1)[0]
        else:
            probs = torch.zeros(scores.shape[1], dtype=torch.float32)
            probs[int(torch.argmax(scores[0]))] = 1
        out.append({"processors": [type(p).__name__ for p in processors], "probs": probs.tolist()})
    json.dump({"transformers": transformers.__version__, "cases": out}, sys.stdout)


if __name__ == "__main__":
    main()
