"""PEFT's side of src/peft-qwen3.test.ts (run by it; not needed at run time): an adapter this package trained on a
random Qwen3 checkpoint, loaded by PEFT on transformers' own Qwen3ForCausalLM.

Usage: python check_peft_qwen3.py BASE_DIR ADAPTER_DIR PROMPTS_JSON
Prints one JSON object: versions; the warnings PeftModel.from_pretrained raised (peft and transformers loggers
and python warnings); the adapter keys it did not load / did not find; the modules it wrapped; the scalings;
logits [P][S][V] of base + adapter and of merge_and_unload()'s model (float64); the base model's class.
"""

import json
import sys

import peft
import torch
import transformers
from transformers import Qwen3ForCausalLM
from peft_common import load_adapter, logits_of

torch.set_grad_enabled(False)


def main(base_dir, adapter_dir, prompts):
    base = Qwen3ForCausalLM.from_pretrained(base_dir, dtype=torch.float32).double().eval()
    model, said, not_loaded, missing, wrapped = load_adapter(base, adapter_dir)
    result = {
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "base_class": type(model.get_base_model()).__name__,
        "warnings": said,
        "not_loaded": not_loaded,
        "missing": missing,
        "lora_modules": sorted(n for n, _ in wrapped),
        "scalings": sorted({float(m.scaling["default"]) for _, m in wrapped}),
        "logits": logits_of(model, prompts),
    }
    result["merged_logits"] = logits_of(model.merge_and_unload(), prompts)
    print(json.dumps(result))


if __name__ == "__main__":
    with open(sys.argv[3]) as f:
        main(sys.argv[1], sys.argv[2], json.load(f))
