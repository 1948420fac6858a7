"""What check_reference.py and check_peft_qwen3.py share: a log handler that keeps the warnings PEFT and
transformers print while an adapter loads (the tests require none), and a model's logits over prompts."""

import logging
import os
import warnings

import torch
from peft import PeftModel, get_peft_model_state_dict
from safetensors.torch import load_file


class Collect(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(f"{record.name}: {record.getMessage()}")


def logits_of(model, prompts):
    out = []
    for ids in prompts:
        x = torch.tensor([ids])
        out.append(model(input_ids=x, attention_mask=torch.ones_like(x)).logits[0].double().tolist())
    return out


def load_adapter(base, adapter_dir):
    """PeftModel.from_pretrained(base, adapter_dir) with what it said and what it loaded: (model, warnings
    (python warnings and peft / transformers log records), saved keys it did not load, its keys the file
    lacked, the (name, module) pairs it wrapped with a LoRA)."""
    collect = Collect()
    for name in ("peft", "transformers"):
        logging.getLogger(name).addHandler(collect)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = PeftModel.from_pretrained(base, adapter_dir).eval()
    finally:
        for name in ("peft", "transformers"):
            logging.getLogger(name).removeHandler(collect)
    saved = set(load_file(os.path.join(adapter_dir, "adapter_model.safetensors")).keys())
    # PEFT's state dict keys drop the adapter name ("default"), as in the saved file.
    loaded = set(get_peft_model_state_dict(model).keys())
    wrapped = [(n, m) for n, m in model.named_modules() if isinstance(getattr(m, "lora_A", None), torch.nn.ModuleDict)]
    said = [str(w.message) for w in caught] + collect.messages
    return model, said, sorted(saved - loaded), sorted(loaded - saved), wrapped
