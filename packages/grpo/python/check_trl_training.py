"""TRL's side of src/trl-training.test.ts (run by it; not needed at run time).

Usage: python check_trl_training.py REQUEST.json RESULT.json
REQUEST.json (written by the test): the base checkpoint, the LoRA adapter runGrpo started from, and cases; each
case holds GRPOConfig arguments and the rounds runGrpo trained on (per round: the prompt and completion ids of
every completion, groups back to back, and their rewards). For each case this trains a real `GRPOTrainer`
(PEFT model of the base in float64, LoRA from the same adapter) whose generation is TRL's own `rollout_func`
hook returning the recorded round's ids, and whose reward function returns the recorded rewards; the trainer's
own loop does the rest: advantages, old and reference log-probs, gradient accumulation, clipping, AdamW,
scheduler, logging. It writes one JSON object to RESULT.json (the trainer prints its logs on stdout): versions, and per case the advantages of each generation batch,
every logged line, the learning rate each optimizer step ran with, and after each round (every
num_iterations optimizer steps) the LoRA tensors and AdamW's exp_avg / exp_avg_sq (PEFT's saved key names).
"""

import json
import os
import sys
import tempfile

os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")

import peft  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
import trl  # noqa: E402
from datasets import Dataset  # noqa: E402
from peft import LoraConfig  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import AutoTokenizer, Qwen2ForCausalLM, TrainerCallback  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402


def saved_key(name):
    """A parameter's name as PEFT saves it (the adapter name dropped)."""
    return name.replace(".default.", ".")


class Snapshots(TrainerCallback):
    """LoRA and AdamW moments after every round, the lr of every optimizer step, every log line."""

    def __init__(self, iterations, out):
        self.iterations = iterations
        self.out = out

    def on_step_begin(self, args, state, control, optimizer=None, **kwargs):
        self.out["step_lrs"].append(optimizer.param_groups[0]["lr"])

    def on_log(self, args, state, control, logs=None, **kwargs):
        self.out["logs"].append({"step": state.global_step, **logs})

    def on_step_end(self, args, state, control, model=None, optimizer=None, **kwargs):
        if state.global_step % self.iterations != 0:
            return
        lora, exp_avg, exp_avg_sq, steps = {}, {}, {}, []
        for name, p in model.named_parameters():
            if not p.requires_grad:
                continue
            key = saved_key(name)
            lora[key] = p.detach().tolist()
            st = optimizer.state.get(p, {})
            if "exp_avg" in st:
                exp_avg[key] = st["exp_avg"].tolist()
                exp_avg_sq[key] = st["exp_avg_sq"].tolist()
                steps.append(float(st["step"]))
        self.out["rounds"].append(
            {"lora": lora, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq, "adam_steps": sorted(set(steps))}
        )


def run_case(request, case):
    rounds = case["rounds"]
    args = case["args"]
    groups = len(rounds[0]["rewards"]) // args["num_generations"]
    dtype = getattr(torch, request.get("dtype", "float64"))
    base = Qwen2ForCausalLM.from_pretrained(request["base"], dtype=torch.float32).to(dtype)
    tokenizer = AutoTokenizer.from_pretrained(request["base"])
    # The fixture's tokenizer names no stop token; the model's is id 2 (config.eos_token_id), as runGrpo stops.
    stop = tokenizer.convert_ids_to_tokens(request["eos_id"])
    tokenizer.eos_token = stop
    tokenizer.pad_token = stop
    adapter_config = json.load(open(os.path.join(request["adapter"], "adapter_config.json")))
    lora = LoraConfig(
        r=adapter_config["r"],
        lora_alpha=adapter_config["lora_alpha"],
        target_modules=adapter_config["target_modules"],
        lora_dropout=0.0,
        bias="none",
        task_type="CAUSAL_LM",
    )
    out = {"advantages": [], "logs": [], "step_lrs": [], "rounds": [], "reward_calls": 0}
    at = {"round": 0}

    def rollout(prompts, trainer):
        r = rounds[at["round"]]
        at["round"] += 1
        if len(prompts) != len(r["completion_ids"]):
            raise RuntimeError(f"{len(prompts)} prompts for {len(r['completion_ids'])} completions")
        return {"prompt_ids": r["prompt_ids"], "completion_ids": r["completion_ids"], "logprobs": None}

    def recorded_reward(prompts, completions, completion_ids, **kwargs):
        r = rounds[at["round"] - 1]
        if [list(c) for c in completion_ids] != r["completion_ids"]:
            raise RuntimeError("the reward function got other completions than the round's")
        out["reward_calls"] += 1
        return list(r["rewards"])

    with tempfile.TemporaryDirectory() as tmp:
        config = GRPOConfig(
            output_dir=tmp,
            report_to="none",
            save_strategy="no",
            use_cpu=True,
            bf16=False,
            seed=0,
            logging_steps=1,
            max_steps=len(rounds) * args["num_iterations"],
            **args,
        )
        trainer = GRPOTrainer(
            model=base,
            reward_funcs=recorded_reward,
            args=config,
            train_dataset=Dataset.from_dict({"prompt": [f"problem {i}" for i in range(groups)]}),
            processing_class=tokenizer,
            peft_config=lora,
            rollout_func=rollout,
            callbacks=[Snapshots(args["num_iterations"], out)],
        )
        # The LoRA runGrpo started from (its A from the seed, B zero), in place of PEFT's own initialisation.
        start = load_file(os.path.join(request["adapter"], "adapter_model.safetensors"))
        loaded = 0
        with torch.no_grad():
            for name, p in trainer.model.named_parameters():
                if p.requires_grad:
                    p.copy_(start[saved_key(name)].to(dtype))
                    loaded += 1
        if loaded != len(start):
            raise RuntimeError(f"loaded {loaded} of the adapter's {len(start)} tensors")
        score = trainer._generate_and_score_completions

        def scored(inputs):
            batch = score(inputs)
            out["advantages"].append(batch["advantages"].tolist())
            return batch

        trainer._generate_and_score_completions = scored
        trainer.train()
        out["optimizer"] = type(trainer.optimizer.optimizer if hasattr(trainer.optimizer, "optimizer") else trainer.optimizer).__name__
        out["scheduler"] = type(trainer.lr_scheduler).__name__
    if at["round"] != len(rounds):
        raise RuntimeError(f"TRL generated {at['round']} times for {len(rounds)} rounds")
    return out


def main():
    request = json.load(open(sys.argv[1]))
    torch.manual_seed(0)
    cases = [run_case(request, case) for case in request["cases"]]
    json.dump(
        {
            "versions": {
                "torch": torch.__version__,
                "transformers": transformers.__version__,
                "peft": peft.__version__,
                "trl": trl.__version__,
            },
            "cases": cases,
        },
        open(sys.argv[2], "w"),
    )


if __name__ == "__main__":
    main()
