"""The real libraries' side of src/training-trajectory.test.ts (run by it; not needed at run time).

Usage: python check_trajectory.py REQUEST.json RESULT.json
REQUEST.json (written by the test): the base checkpoint and, per case, the initial LoRA adapter (saved by distill;
null for full-parameter training), the micro-batches distill's trainer ran, in order (each sequence: prompt +
reply ids, the prompt length, the teacher's top-k ids and raw logits per reply token), and the settings as
TrainingArguments fields.

Each case trains, in float64, PEFT's model of the adapter (or the model itself) on transformers'
Qwen2ForCausalLM, with transformers' own `Trainer` (its AdamW, get_*_schedule_with_warmup, clip_grad_norm_,
gradient accumulation normalised by num_items_in_batch) or TRL's `SFTTrainer`:
  - sft (Trainer): its default compute_loss (the model's ForCausalLMLoss on `labels`, -100 on prompt and pads);
  - sft (SFTTrainer): a tokenized prompt-completion dataset with completion_only_loss, TRL's defaults;
  - kd (Trainer): a compute_loss override with distill's top-k forward KL at T (x T^2), summed over the reply
    tokens and divided by num_items_in_batch, as transformers asks of a custom loss.
The sampler is sequential (Trainer: over the micro-batches, per_device_train_batch_size 1 and a collator that
unwraps; SFTTrainer: over the sequences, batch_size each), so the library sees distill's order and grouping.
Writes one JSON object to RESULT.json (the Trainer prints its logs on stdout): versions, and per case `info`
(what the library chose: optimizer and its defaults, which parameters decay, the scheduler, whether it divides
by the accumulation count) and `steps`: per optimizer step the loss (sum of the micro-batches' losses), the
learning rate the update used (and the one logged), the gradient norm before clipping, num_items_in_batch, and
every LoRA tensor (or weight) after it.
"""

import json
import os
import sys
import tempfile
import warnings

import peft  # noqa: E402
import trl  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
import transformers  # noqa: E402
from peft import PeftModel, get_peft_model_state_dict  # noqa: E402
from datasets import Dataset  # noqa: E402
from transformers import AutoTokenizer, Qwen2ForCausalLM, Trainer, TrainerCallback, TrainingArguments  # noqa: E402
from trl import SFTConfig, SFTTrainer  # noqa: E402

warnings.filterwarnings("ignore")
transformers.logging.set_verbosity_error()
torch.set_num_threads(1)


def collate(sequences, mode):
    """Right-padded HF batch: full sequences, labels = ids on the reply (-100 on prompt and pads)."""
    length = max(len(s["ids"]) for s in sequences)
    batch = len(sequences)
    ids = torch.zeros(batch, length, dtype=torch.long)
    mask = torch.zeros(batch, length, dtype=torch.long)
    labels = torch.full((batch, length), -100, dtype=torch.long)
    out = {}
    if mode == "kd":
        k = len(sequences[0]["topk_ids"][0])
        topk_ids = torch.zeros(batch, length, k, dtype=torch.long)
        topk_logits = torch.zeros(batch, length, k, dtype=torch.float64)
    for b, s in enumerate(sequences):
        n = len(s["ids"])
        p = s["prompt_len"]
        ids[b, :n] = torch.tensor(s["ids"])
        mask[b, :n] = 1
        labels[b, p:n] = torch.tensor(s["ids"][p:])
        if mode == "kd":
            # Position t holds the teacher's row for reply token t (predicted by logits row t - 1), as labels.
            topk_ids[b, p:n] = torch.tensor(s["topk_ids"])
            topk_logits[b, p:n] = torch.tensor(s["topk_logits"], dtype=torch.float64)
    out.update(input_ids=ids, attention_mask=mask, labels=labels)
    if mode == "kd":
        out.update(topk_ids=topk_ids, topk_logits=topk_logits)
    return out


class MicroBatches(torch.utils.data.Dataset):
    def __init__(self, batches):
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, i):
        return self.batches[i]


class KdTrainer(Trainer):
    """distill's top-k forward KL as a custom loss: summed over reply tokens, divided by num_items_in_batch."""

    temperature = 2.0

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        inputs = dict(inputs)
        labels = inputs.pop("labels")
        topk_ids = inputs.pop("topk_ids")
        topk_logits = inputs.pop("topk_logits")
        outputs = model(**inputs)
        T = self.temperature
        logits = outputs.logits[:, :-1]  # row t - 1 predicts token t
        valid = labels[:, 1:] != -100
        ids = topk_ids[:, 1:][valid]  # [N, k]
        p = F.softmax(topk_logits[:, 1:][valid] / T, dim=-1)
        logq = F.log_softmax(logits[valid] / T, dim=-1).gather(1, ids)
        per_token = T * T * (p * (p.log() - logq)).sum(-1)
        loss = per_token.sum() / num_items_in_batch
        self.recorded_losses.append(loss.item())
        self.recorded_items.append(int(num_items_in_batch))
        return (loss, outputs) if return_outputs else loss


class Recording:
    """The library's own compute_loss; only records each micro-batch's loss and num_items_in_batch."""

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        loss = super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        value = loss[0] if return_outputs else loss
        self.recorded_losses.append(value.item())
        self.recorded_items.append(int(num_items_in_batch))
        return loss


class SftTrainer(Recording, Trainer):
    pass


class TrlSftTrainer(Recording, SFTTrainer):
    pass


def trained_state(model):
    """The LoRA tensors under PEFT's saved names, or (full-parameter) every weight under its HF name."""
    if isinstance(model, PeftModel):
        return get_peft_model_state_dict(model)
    # The tied head is the embedding (one parameter); the state dict lists it twice.
    return {k: v for k, v in model.state_dict().items() if k != "lm_head.weight"}


class Record(TrainerCallback):
    """Per optimizer step: lr the update used, the gradient norm before clipping, and the LoRA tensors after."""

    def __init__(self, trainer_ref):
        self.trainer_ref = trainer_ref
        self.steps = []
        self.lr = None

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        trainer = self.trainer_ref[0]
        self.lr = trainer.optimizer.param_groups[0]["lr"]

    def on_step_end(self, args, state, control, **kwargs):
        trainer = self.trainer_ref[0]
        weights = {k: v.double().tolist() for k, v in trained_state(trainer.model).items()}
        losses = trainer.recorded_losses
        trainer.recorded_losses = []
        items = trainer.recorded_items
        trainer.recorded_items = []
        self.steps.append({"loss": sum(losses), "micro_losses": losses, "lr": self.lr, "num_items": items, "weights": weights})


def run_case(base_dir, case):
    mode = case["mode"]
    base = Qwen2ForCausalLM.from_pretrained(base_dir, dtype=torch.float32, attn_implementation="eager").double()
    # Full-parameter: the model itself trains; LoRA: PEFT's model of the adapter distill started from.
    model = base if case["adapter"] is None else PeftModel.from_pretrained(base, case["adapter"], is_trainable=True).double()
    out_dir = tempfile.mkdtemp(prefix="distill-traj-")
    a = case["args"]
    trl_sft = case["trainer"] == "sft_trainer"
    common = dict(
        gradient_accumulation_steps=a["gradient_accumulation_steps"],
        num_train_epochs=1,
        learning_rate=a["learning_rate"],
        lr_scheduler_type=a["lr_scheduler_type"],
        lr_scheduler_kwargs=a.get("lr_scheduler_kwargs", {}),
        warmup_steps=a["warmup_steps"],
        weight_decay=a["weight_decay"],
        max_grad_norm=a["max_grad_norm"],
        seed=a["seed"],
        train_sampling_strategy="sequential",
        remove_unused_columns=False,
        logging_steps=1,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    ref = [None]
    record = Record(ref)
    if trl_sft:
        # TRL's SFTTrainer as a user runs it on a tokenized prompt-completion dataset (input_ids + completion_mask:
        # completion_only_loss), its collator padding each batch of `batch_size` sequences to the right, and its
        # defaults (loss_type "chunked_nll", gradient checkpointing) except bf16 (off: this run is float64).
        sequences = [s for mb in case["micro_batches"] for s in mb]
        assert all(len(mb) == case["batch_size"] for mb in case["micro_batches"])
        rows = [
            {"input_ids": s["ids"], "completion_mask": [0] * s["prompt_len"] + [1] * (len(s["ids"]) - s["prompt_len"])}
            for s in sequences
        ]
        tokenizer = AutoTokenizer.from_pretrained(base_dir)
        # The fixture's special tokens lie past its 256-row embedding; pad with id 0, as distill does.
        tokenizer.pad_token = tokenizer.convert_ids_to_tokens(0)
        args = SFTConfig(per_device_train_batch_size=case["batch_size"], bf16=False, completion_only_loss=True, **common)
        trainer = TrlSftTrainer(
            model=model,
            args=args,
            train_dataset=Dataset.from_list(rows),
            processing_class=tokenizer,
            callbacks=[record],
        )
    else:
        args = TrainingArguments(per_device_train_batch_size=1, **common)
        cls = KdTrainer if mode == "kd" else SftTrainer
        if mode == "kd":
            KdTrainer.temperature = float(case["temperature"])
        batches = [collate(mb, mode) for mb in case["micro_batches"]]
        trainer = cls(
            model=model,
            args=args,
            train_dataset=MicroBatches(batches),
            data_collator=lambda items: items[0],
            callbacks=[record],
        )
    trainer.recorded_losses = []
    trainer.recorded_items = []
    ref[0] = trainer
    trainer.train()
    # grad_norm as the Trainer logged it (before clipping), one log line per step (logging_steps 1).
    norms = [h["grad_norm"] for h in trainer.state.log_history if "grad_norm" in h]
    logged_lr = [h["learning_rate"] for h in trainer.state.log_history if "learning_rate" in h]
    for step, norm, lr in zip(record.steps, norms, logged_lr):
        step["grad_norm"] = float(norm)
        step["logged_lr"] = float(lr)
    opt = trainer.optimizer
    decay_names = set(trainer.get_decay_parameter_names(model))
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    group = opt.param_groups[0]
    info = {
        "optimizer": type(opt).__name__,
        "optim": str(args.optim),
        "betas": list(group["betas"]),
        "eps": group["eps"],
        "weight_decays": [g["weight_decay"] for g in opt.param_groups],
        "decayed": sum(1 for n in trainable if n in decay_names),
        # Without PEFT's adapter name, as it saves them (and as distill names its tensors).
        "decayed_names": sorted(n.replace(".default", "") for n in trainable if n in decay_names),
        "trainable": len(trainable),
        "scheduler": type(trainer.lr_scheduler).__name__,
        "model_accepts_loss_kwargs": bool(trainer.model_accepts_loss_kwargs),
        "global_steps": trainer.state.global_step,
        "dtype": str(next(model.parameters()).dtype),
        "loss_type": getattr(args, "loss_type", None),
        "gradient_checkpointing": bool(args.gradient_checkpointing),
    }
    return {"info": info, "steps": record.steps}


def main():
    request = json.load(open(sys.argv[1]))
    result = {
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__, "trl": trl.__version__},
        "cases": {c["name"]: run_case(request["base"], c) for c in request["cases"]},
    }
    with open(sys.argv[2], "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
