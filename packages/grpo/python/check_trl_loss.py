"""TRL's side of src/trl-loss.test.ts (run by it; not needed at run time).

Usage: python check_trl_loss.py REQUEST.json
REQUEST.json (written by the test): the base checkpoint, a LoRA adapter, fixed completions with their
advantages, the sampling temperature, the clip range, max_completion_length, and cases (loss_type, beta,
use_bias_correction_kl, pi_old per token or null for on-policy, and the completions masked as truncated). For each case this runs TRL's own `GRPOTrainer._compute_loss` (the
method itself, unbound, on a stand-in for the trainer holding only the attributes it reads; building a real
GRPOTrainer needs a dataset, reward functions and generation) on a PEFT model in float64, then backward, and
prints one JSON object: versions, and per case the loss, the per-token log-probs and the gradient of every
LoRA tensor (PEFT's saved key names).
"""

import json
import sys
import types
from collections import defaultdict

import peft
import torch
import transformers
import trl
from peft import PeftModel
from transformers import Qwen2ForCausalLM
from trl import GRPOTrainer


class Accelerator:
    num_processes = 1
    sync_gradients = True
    is_main_process = True

    def gather(self, x):
        return x

    def gather_for_metrics(self, x):
        return x

    def reduce(self, x, reduction="sum"):
        return x


def stand_in(model, request, case):
    """The attributes of a GRPOTrainer that _compute_loss reads, set as GRPOConfig would set them."""
    t = types.SimpleNamespace()
    t.model = model
    t.model_kwarg_keys = set()
    t.temperature = request["temperature"]
    t._entropy_bonus_enabled = False
    t.aux_loss_enabled = False
    t.top_entropy_quantile = 1.0
    t.off_policy_mask_threshold = None
    t.importance_sampling_level = "token"
    t.beta = case["beta"]
    t.loss_type = case["loss_type"]
    t.epsilon_low = request["epsilon_low"]
    t.epsilon_high = request["epsilon_high"]
    t.use_vllm = False
    t.vllm_importance_sampling_correction = False
    t.current_gradient_accumulation_steps = 1
    t.max_completion_length = request["max_completion_length"]
    t.accelerator = Accelerator()
    # use_bias_correction_kl: True is GRPOConfig's default in TRL 1.13 (the KL term x the ratio); the request
    # names it per case (klBiasCorrection on our side).
    t.args = types.SimpleNamespace(
        use_bias_correction_kl=case.get("bias_correction_kl", False), delta=None, steps_per_generation=1
    )
    t._metrics = {"train": defaultdict(list), "eval": defaultdict(list)}
    t._get_per_token_logps_and_entropies = types.MethodType(GRPOTrainer._get_per_token_logps_and_entropies, t)
    return t


def batch(request):
    """As TRL collates a generation batch: prompts left-padded, completions right-padded."""
    seqs = request["sequences"]
    pad = request["pad_id"]
    p_len = max(len(s["prompt_ids"]) for s in seqs)
    c_len = max(len(s["completion_ids"]) for s in seqs)
    prompt_ids = torch.tensor([[pad] * (p_len - len(s["prompt_ids"])) + s["prompt_ids"] for s in seqs])
    prompt_mask = torch.tensor([[0] * (p_len - len(s["prompt_ids"])) + [1] * len(s["prompt_ids"]) for s in seqs])
    completion_ids = torch.tensor([s["completion_ids"] + [pad] * (c_len - len(s["completion_ids"])) for s in seqs])
    completion_mask = torch.tensor(
        [[1] * len(s["completion_ids"]) + [0] * (c_len - len(s["completion_ids"])) for s in seqs]
    )
    return {
        "prompt_ids": prompt_ids,
        "prompt_mask": prompt_mask,
        "completion_ids": completion_ids,
        "completion_mask": completion_mask,
        "advantages": torch.tensor([s["advantage"] for s in seqs], dtype=torch.float64),
        "num_items_in_batch": completion_mask.sum().double(),
    }


def padded(per_sequence, lengths, width):
    return torch.tensor([row + [0.0] * (width - n) for row, n in zip(per_sequence, lengths)], dtype=torch.float64)


def main():
    request = json.load(open(sys.argv[1]))
    base = Qwen2ForCausalLM.from_pretrained(request["base"], dtype=torch.float32).double()
    model = PeftModel.from_pretrained(base, request["adapter"], is_trainable=True).double()
    model.train()
    inputs = batch(request)
    lengths = [len(s["completion_ids"]) for s in request["sequences"]]
    width = inputs["completion_ids"].shape[1]
    input_ids = torch.cat([inputs["prompt_ids"], inputs["completion_ids"]], 1)
    attention = torch.cat([inputs["prompt_mask"], inputs["completion_mask"]], 1)
    mask = inputs["completion_mask"].bool()
    helper = stand_in(model, request, {"beta": 0.0, "loss_type": "dapo"})
    with torch.no_grad():
        logps, _, _ = helper._get_per_token_logps_and_entropies(model, input_ids, attention, width)
        # The reference: the base without the adapter, as TRL does with a PEFT model.
        with model.disable_adapter():
            ref, _, _ = helper._get_per_token_logps_and_entropies(model, input_ids, attention, width)
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    cases = []
    for case in request["cases"]:
        trainer = stand_in(model, request, case)
        step = dict(inputs)
        if case["beta"] != 0.0:
            step["ref_per_token_logps"] = ref
        if case["old_logps"] is not None:
            step["old_per_token_logps"] = padded(case["old_logps"], lengths, width)
        if case["truncated"]:
            # mask_truncated_completions, as _generate_and_score_completions applies it: the truncated
            # completions' mask is zeroed, then num_items_in_batch counts the mask that is left.
            keep = torch.tensor([0 if i in case["truncated"] else 1 for i in range(len(lengths))])
            step["completion_mask"] = step["completion_mask"] * keep[:, None]
            step["num_items_in_batch"] = step["completion_mask"].sum().double()
        model.zero_grad()
        loss = GRPOTrainer._compute_loss(trainer, model, step)
        loss.backward()
        grads = {n.replace(".default", ""): p.grad.tolist() for n, p in params.items()}
        cases.append({"loss": loss.item(), "grads": grads})
    json.dump(
        {
            "versions": {
                "torch": torch.__version__,
                "transformers": transformers.__version__,
                "peft": peft.__version__,
                "trl": trl.__version__,
            },
            "logps": [logps[i][mask[i]].tolist() for i in range(len(lengths))],
            "ref_logps": [ref[i][mask[i]].tolist() for i in range(len(lengths))],
            "cases": cases,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
