"""Render chat cases with transformers' apply_chat_template and tokenize the text, for src/transformers-chat.test.ts.

Usage: python render_chat.py TOKENIZER_DIR CASES_JSON
CASES_JSON holds [{"messages": [...], "addGenerationPrompt": bool, "kwargs"?: {...}}, ...] (kwargs: extra template
variables, apply_chat_template's **kwargs, e.g. enable_thinking); prints
[{"text": str, "ids": [int, ...]}, ...] as JSON: the template's text, then its ids without added special tokens
(the template writes them), as a pipeline that renders and then tokenizes would.
"""

import json
import sys

from transformers import AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained(sys.argv[1])
with open(sys.argv[2], encoding="utf-8") as f:
    cases = json.load(f)
out = []
for case in cases:
    text = tokenizer.apply_chat_template(
        case["messages"],
        tokenize=False,
        add_generation_prompt=case["addGenerationPrompt"],
        **case.get("kwargs", {}),
    )
    out.append({"text": text, "ids": tokenizer(text, add_special_tokens=False)["input_ids"]})
json.dump(out, sys.stdout)
