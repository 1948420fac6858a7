"""What check_reference.py and check_peft_qwen3.py share: a log handler that keeps the warnings PEFT and
transformers print while an adapter loads (the tests require none), and a model's logits over prompts."""

import logging

import torch


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
