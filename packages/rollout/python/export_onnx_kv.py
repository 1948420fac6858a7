"""Export a transformers causal LM with a KV cache to ONNX, as a third party would: torch.onnx.export on
transformers' own Qwen2ForCausalLM (not @ssb/model's exporter), with Optimum's names:
input_ids, attention_mask, position_ids, past_key_values.N.key/value -> logits, present.N.key/value
(KV [batch, kv_heads, seq, head_dim], float32, int64 ids/mask/positions).

Usage: python export_onnx_kv.py CHECKPOINT OUT_DIR [torchscript|dynamo]
(torchscript, the default: the legacy exporter, dynamo=False; dynamo: torch.export-based, dynamo=True)
Writes OUT_DIR/model.onnx (one file, weights inside) and copies config.json, the tokenizer files and
generation_config.json (when the checkpoint has them) beside it. Prints {"exporter": ...} as JSON.

Run by src/third-party-onnx.test.ts (SSB_PYTHON names a python with torch, transformers and onnx).
"""

import json
import os
import shutil
import sys

import torch
from transformers import AutoModelForCausalLM, DynamicCache


class FlatKv(torch.nn.Module):
    """The model with its cache as flat tensors in and out: what an ONNX graph can take."""

    def __init__(self, model):
        super().__init__()
        self.model = model
        self.layers = model.config.num_hidden_layers

    def forward(self, input_ids, attention_mask, position_ids, *past):
        cache = DynamicCache(config=self.model.config)
        for layer in range(self.layers):
            cache.update(past[2 * layer], past[2 * layer + 1], layer)
        out = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=cache,
            use_cache=True,
        )
        present = []
        for layer in range(self.layers):
            present += [out.past_key_values.layers[layer].keys, out.past_key_values.layers[layer].values]
        return (out.logits, *present)


def dynamic_shapes(count):
    """Every axis but the head and head-size axes dynamic, for (input_ids, attention_mask, position_ids, *past)."""
    d = torch.export.Dim.DYNAMIC
    return (*[{0: d, 1: d}] * 3, tuple([{0: d, 2: d}] * (count - 3)))


def main():
    src, out_dir = sys.argv[1], sys.argv[2]
    exporter = sys.argv[3] if len(sys.argv) > 3 else "torchscript"
    os.makedirs(out_dir, exist_ok=True)
    model = AutoModelForCausalLM.from_pretrained(src, dtype=torch.float32, attn_implementation="eager")
    model.eval()
    c = model.config
    layers = c.num_hidden_layers
    kv_heads = c.num_key_value_heads
    head_dim = getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads
    batch, past_len, seq = 2, 3, 4
    inputs = (
        torch.randint(0, c.vocab_size, (batch, seq)),
        torch.ones(batch, past_len + seq, dtype=torch.long),
        torch.arange(past_len, past_len + seq).repeat(batch, 1),
        *[torch.randn(batch, kv_heads, past_len, head_dim) for _ in range(2 * layers)],
    )
    past_names = [f"past_key_values.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
    present_names = [f"present.{i}.{kind}" for i in range(layers) for kind in ("key", "value")]
    dynamic = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for name in past_names:
        dynamic[name] = {0: "batch_size", 2: "past_sequence_length"}
    for name in present_names:
        dynamic[name] = {0: "batch_size", 2: "total_sequence_length"}
    file = os.path.join(out_dir, "model.onnx")
    with torch.no_grad():
        torch.onnx.export(
            FlatKv(model),
            inputs,
            file,
            input_names=["input_ids", "attention_mask", "position_ids", *past_names],
            output_names=["logits", *present_names],
            # The dynamo exporter wants shapes per argument (the past tensors are varargs, which its
            # conversion from dynamic_axes cannot place); the TorchScript one takes the names above.
            dynamic_axes=None if exporter == "dynamo" else dynamic,
            dynamic_shapes=dynamic_shapes(len(inputs)) if exporter == "dynamo" else None,
            opset_version=17,
            dynamo=exporter == "dynamo",
        )
    for name in ["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"]:
        if os.path.exists(os.path.join(src, name)):
            shutil.copy(os.path.join(src, name), os.path.join(out_dir, name))
    json.dump({"exporter": f"torch.onnx.export ({exporter}), torch {torch.__version__}"}, sys.stdout)


if __name__ == "__main__":
    main()
