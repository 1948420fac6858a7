"""PEFT's side of src/peft-qwen3.test.ts (run by it; not needed at run time): an adapter this package trained on a
random Qwen3 checkpoint, loaded by PEFT on transformers' own Qwen3ForCausalLM.

Usage: python check_peft_qwen3.py BASE_DIR ADAPTER_DIR PROMPTS_JSON
Prints one JSON object: versions; the warnings PeftModel.from_pretrained raised (peft and transformers loggers
and python warnings); the adapter keys it did not load / did not find; the modules it wrapped; the scalings;
logits [P][S][V] of base + adapter and of merge_and_unload()'s model (float64); the base model's class.
"""

import json
import logging
import os
import sys
import warnings

import peft
import torch
import transformers
from peft import PeftModel, get_peft_model_state_dict
from safetensors.torch import load_file
from transformers import Qwen3ForCausalLM
from peft_common import Collect, logits_of

torch.set_grad_enabled(False)


def main(base_dir, adapter_dir, prompts):
    base = Qwen3ForCausalLM.from_pretrained(base_dir, dtype=torch.float32).double().eval()
    collect = Collect()
    for name in ("peft", "transformers"):
        logging.getLogger(name).addHandler(collect)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = PeftModel.from_pretrained(base, adapter_dir).eval()
    for name in ("peft", "transformers"):
        logging.getLogger(name).removeHandler(collect)
    saved = set(load_file(os.path.join(adapter_dir, "adapter_model.safetensors")).keys())
    loaded = set(get_peft_model_state_dict(model).keys())
    wrapped = [(n, m) for n, m in model.named_modules() if isinstance(getattr(m, "lora_A", None), torch.nn.ModuleDict)]
    result = {
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "base_class": type(model.get_base_model()).__name__,
        "warnings": [str(w.message) for w in caught] + collect.messages,
        "not_loaded": sorted(saved - loaded),
        "missing": sorted(loaded - saved),
        "lora_modules": sorted(n for n, _ in wrapped),
        "scalings": sorted({float(m.scaling["default"]) for _, m in wrapped}),
        "logits": logits_of(model, prompts),
    }
    result["merged_logits"] = logits_of(model.merge_and_unload(), prompts)
    print(json.dumps(result))


if __name__ == "__main__":
    with open(sys.argv[3]) as f:
        main(sys.argv[1], sys.argv[2], json.load(f))
