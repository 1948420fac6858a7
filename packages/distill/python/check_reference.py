"""The real libraries' side of src/python-reference.test.ts (run by it; not needed at run time).

Usage: python check_reference.py REQUEST.json OUT_DIR
REQUEST.json (written by the test): the base checkpoint, adapters this package trained, prompts, and KD tensors
(teacher top-k rows, full teacher logits, student logits). Prints one JSON object:
  versions             torch / transformers / peft / trl
  adapters[i]          what PeftModel.from_pretrained made of adapter i: the warnings it raised, the adapter keys
                       it did not load or did not find, the config fields PEFT parsed, the scaling it applies, and
                       the logits [P][S][V] of base + adapter (float64), the same from
                       AutoPeftModelForCausalLM.from_pretrained(adapter) (auto_logits), the top-k KD loss
                       of the fixture's reply through that model and its gradient w.r.t. every LoRA tensor
                       (kd_grads, torch autograd); OUT_DIR/merged-i/ holds
                       merge_and_unload()'s weights (float32 safetensors), with the logits of that merged model
  kd                   the losses at T, in float64, and their gradients w.r.t. the student logits (autograd):
                       topk / tail (distill's definitions, written out in torch), and TRL's
                       GKDTrainer.generalized_jsd_loss on the full vocabulary at beta 0, 1 and 0.5, and
                       DistillationTrainer's loss (_chunked_divergence_loss) at beta 0
"""

import json
import os
import sys

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

import peft  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import transformers  # noqa: E402
import trl  # noqa: E402
from peft import AutoPeftModelForCausalLM, PeftModel  # noqa: E402
from transformers import Qwen2ForCausalLM  # noqa: E402
from peft_common import load_adapter, logits_of  # noqa: E402
from trl.experimental.gkd import GKDTrainer  # noqa: E402
from trl.trainer.distillation_trainer import _chunked_divergence_loss  # noqa: E402

torch.set_grad_enabled(False)


def kd_lora_grads(base_dir, adapter_dir, kd):
    """distill's top-k forward KL at T through the real model, and its gradient w.r.t. every LoRA tensor."""
    base = Qwen2ForCausalLM.from_pretrained(base_dir, dtype=torch.float32).double()
    model = PeftModel.from_pretrained(base, adapter_dir, is_trainable=True).double().eval()
    T = kd["temperature"]
    ids = torch.tensor(kd["topk_ids"])
    p = F.softmax(torch.tensor(kd["topk_logits"], dtype=torch.float64) / T, dim=-1)
    x = torch.tensor([kd["student_input_ids"]])
    with torch.enable_grad():
        logits = model(input_ids=x, attention_mask=torch.ones_like(x)).logits[0, kd["logit_rows"]]
        logq = F.log_softmax(logits / T, dim=-1).gather(1, ids)
        loss = T * T * (p * (p.log() - logq)).sum(-1).mean()
        loss.backward()
    grads = {n.replace(".default", ""): q.grad.tolist() for n, q in model.named_parameters() if q.requires_grad}
    return {"loss": loss.item(), "grads": grads}


def check_adapter(base_dir, adapter_dir, prompts, merged_dir, kd=None):
    base = Qwen2ForCausalLM.from_pretrained(base_dir, dtype=torch.float32).double().eval()
    model, said, not_loaded, missing, wrapped = load_adapter(base, adapter_dir)
    config = model.peft_config["default"]
    scalings = sorted({float(m.scaling["default"]) for _, m in wrapped})
    lora_modules = sorted(n for n, _ in wrapped)
    result = {
        "warnings": said,
        "not_loaded": not_loaded,
        "missing": missing,
        "config": {
            "r": config.r,
            "lora_alpha": config.lora_alpha,
            "use_rslora": config.use_rslora,
            "bias": config.bias,
            "task_type": str(config.task_type),
            "fan_in_fan_out": config.fan_in_fan_out,
            "base_model_name_or_path": config.base_model_name_or_path,
            "target_modules": sorted(config.target_modules) if not isinstance(config.target_modules, str) else config.target_modules,
            "lora_dropout": config.lora_dropout,
            "use_dora": config.use_dora,
        },
        "scalings": scalings,
        "lora_modules": lora_modules,
        "logits": logits_of(model, prompts),
    }
    if kd is not None:
        result["kd_grads"] = kd_lora_grads(base_dir, adapter_dir, kd)
    # AutoPeftModelForCausalLM finds the base through the adapter's base_model_name_or_path alone.
    auto = AutoPeftModelForCausalLM.from_pretrained(adapter_dir, dtype=torch.float32).double().eval()
    result["auto_logits"] = logits_of(auto, prompts)
    merged = model.merge_and_unload()
    merged.float().save_pretrained(merged_dir, safe_serialization=True)
    result["merged_logits"] = logits_of(merged.double(), prompts)
    return result


def kd_losses(kd):
    T = kd["temperature"]
    k = kd["k"]
    ids = torch.tensor(kd["topk_ids"])  # [R, k]
    top = torch.tensor(kd["topk_logits"], dtype=torch.float64)  # [R, k]
    lse = torch.tensor(kd["logsumexp"], dtype=torch.float64)  # [R]
    student0 = torch.tensor(kd["student_logits"], dtype=torch.float64)  # [R, V]
    teacher = torch.tensor(kd["teacher_logits"], dtype=torch.float64)  # [R, V]
    rows = student0.shape[0]
    out = {}

    def run(name, fn):
        with torch.enable_grad():
            s = student0.clone().requires_grad_(True)
            loss = fn(s)
            (grad,) = torch.autograd.grad(loss, s)
        out[name] = {"loss": loss.item(), "grad": grad.tolist()}

    def topk(s):
        # distill's forward KL: p over the k ids at T (renormalised), log q over the full vocabulary at T.
        p = F.softmax(top / T, dim=-1)
        logq = F.log_softmax(s / T, dim=-1).gather(1, ids)
        return T * T * (p * (p.log() - logq)).sum(-1).mean()

    def tail(s):
        # The k ids plus one pseudo-token of the T = 1 mass outside them, both sides, all divided by T.
        t_tail = (torch.log1p(-torch.exp(top - lse[:, None]).sum(-1)) + lse)[:, None]
        p = F.softmax(torch.cat([top, t_tail], 1) / T, dim=-1)
        logq1 = F.log_softmax(s, dim=-1).gather(1, ids)
        s_tail = torch.log1p(-logq1.exp().sum(-1))[:, None]
        logq = F.log_softmax(torch.cat([logq1, s_tail], 1) / T, dim=-1)
        return T * T * (p * (p.log() - logq)).sum(-1).mean()

    def trl(beta):
        def f(s):
            # Shapes as GKDTrainer passes them: [B, S, V] with labels (-100 = ignored); none is ignored here.
            labels = torch.zeros(1, rows, dtype=torch.long)
            value = GKDTrainer.generalized_jsd_loss(
                s[None], teacher[None], labels=labels, beta=beta, temperature=T, reduction="batchmean"
            )
            return T * T * value

        return f

    def distillation_trainer(beta):
        def f(s):
            # DistillationTrainer's loss takes hidden states and lm_head weights; with hidden = logits and an
            # identity head it is the divergence of these logits (computed in float32, as it does).
            eye = torch.eye(s.shape[1], dtype=torch.float32)
            loss, _, _ = _chunked_divergence_loss(
                s[None].float(), teacher[None].float(), eye, eye, torch.ones(1, rows), beta, 4, temperature=T
            )
            return T * T * loss.double()

        return f

    run("topk", topk)
    run("trl_distillation_beta0", distillation_trainer(0.0))
    run("tail", tail)
    run("trl_beta0", trl(0.0))
    run("trl_beta1", trl(1.0))
    run("trl_beta0.5", trl(0.5))
    assert k == ids.shape[1]
    return out


def main():
    request = json.load(open(sys.argv[1]))
    out_dir = sys.argv[2]
    result = {
        "versions": {
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "peft": peft.__version__,
            "trl": trl.__version__,
        },
        "adapters": [
            check_adapter(request["base"], a, request["prompts"], os.path.join(out_dir, f"merged-{i}"), request.get("kd"))
            for i, a in enumerate(request["adapters"])
        ],
        "kd": kd_losses(request["kd"]) if "kd" in request else None,
    }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
