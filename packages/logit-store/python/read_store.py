# Reads one example of an @ssb/logit-store store with pyarrow + numpy, and computes the teacher's top-k
# probabilities and the forward-KL distillation target at a temperature T. The code between the markers is the
# README's "Reading a store from Python/PyTorch" block, verbatim (src/python.test.ts checks both).
# --- README begin ---
import json

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc


class LogitStore:
    def __init__(self, root):
        # manifest.json is authoritative: read only the shards it lists (a *.partial file, or a shard file it
        # does not list, is the leftover of an interrupted writer and is not part of the store).
        self.manifest = json.load(open(f"{root}/manifest.json"))
        self.meta = self.manifest["meta"]  # k, vocabSize, dtype, captureTemperature, ... as JSON values
        self.k = self.meta["k"]
        self.shards = [ipc.open_file(pa.memory_map(f"{root}/{s['file']}")) for s in self.manifest["shards"]]
        self.where = {e["id"]: e for e in self.manifest["examples"]}

    def read(self, example_id):
        """One example's rows, in the order they were written: one row per reply token."""
        e = self.where[example_id]
        batch = self.shards[e["shard"]].get_batch(e["batch"]).slice(e["batchRow"], e["rows"])
        k = self.k
        return {
            "position": batch.column("position").to_numpy(),                    # int32 [n]
            "tokenId": batch.column("tokenId").to_numpy(),                      # int32 [n], the target token
            "topkIds": batch.column("topkIds").flatten().to_numpy().reshape(-1, k),  # int32 [n, k]
            "topkLogits": topk_logits(batch, k).astype(np.float32),             # [n, k], raw (T = 1), descending
            "logSumExp": batch.column("logSumExp").to_numpy(),                  # float32 [n], full vocabulary
        }


def topk_logits(batch, k):
    if "topkLogits" in batch.schema.names:  # float32 stores, and format-1 float16 stores
        return batch.column("topkLogits").flatten().to_numpy().reshape(-1, k)
    # Format-2 float16: each row's top logit, then steps down in float16 order (README, Schema).
    top = batch.column("topkLogitMax").to_numpy().view(np.uint16).astype(np.int32)
    steps = batch.column("topkLogitSteps").flatten().to_numpy().reshape(-1, k)
    rank = np.where(top & 0x8000, 0x7FFF - (top & 0x7FFF), 0x8000 + top)  # float16 bits -> numeric rank
    rank = rank[:, None] - np.cumsum(steps, axis=1, dtype=np.int32)
    bits = np.where(rank >= 0x8000, rank - 0x8000, 0x8000 | (0x7FFF - rank))  # rank -> float16 bits
    return bits.astype(np.uint16).view(np.float16)


def teacher_logprobs(ex):
    """Exact log p of the top-k ids under the teacher's full distribution at T = 1, and the tail mass."""
    logp = ex["topkLogits"].astype(np.float64) - ex["logSumExp"][:, None]
    # float16 rounding of the logits can push the top-k sum a little past 1: clamp the tail at 0.
    tail = np.maximum(0.0, 1.0 - np.exp(logp).sum(axis=1))
    return logp, tail


def teacher_probs(ex, T):
    """softmax(logit / T) renormalised over the k ids: the distillation target at temperature T, [n, k]."""
    z = ex["topkLogits"].astype(np.float64) / T
    z -= z.max(axis=1, keepdims=True)  # a row of -inf logits (all masked) is not possible: entry 0 is finite
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def forward_kl(ex, student_logits, T):
    """KL(teacher_T || student_T) per token over the teacher's top-k: sum_j p_j (log p_j - log q_j), where
    log q = log_softmax(student_logits / T) over the full vocabulary, read at the teacher's ids.
    student_logits: [n, vocabSize], the student's raw logits for the same n tokens (row i predicts tokenId[i])."""
    p = teacher_probs(ex, T)
    s = student_logits.astype(np.float64) / T
    s_max = s.max(axis=1, keepdims=True)
    log_q = s - (s_max + np.log(np.exp(s - s_max).sum(axis=1, keepdims=True)))
    log_q_at_ids = np.take_along_axis(log_q, ex["topkIds"].astype(np.int64), axis=1)
    return (p * (np.log(np.where(p > 0, p, 1.0)) - log_q_at_ids)).sum(axis=1)
# --- README end ---


# In PyTorch the same target is
#   p = torch.softmax(torch.from_numpy(ex["topkLogits"]) / T, dim=-1)
#   log_q = torch.log_softmax(student_logits / T, dim=-1).gather(-1, torch.from_numpy(ex["topkIds"]).long())
#   loss = (p * (p.clamp_min(1e-30).log() - log_q)).sum(-1).mean() * T**2


def main(argv):
    """python read_store.py STORE EXAMPLE_ID T: prints the example and its targets as JSON (used by the test; the
    student is a fixed, deterministic one: logit of token v = sin(v + 7 * position)). A user's mistake (no such
    store or example, a T that is not a number) is one line on stderr, not a traceback."""
    import os
    import sys

    if len(argv) != 4:
        print("usage: python read_store.py STORE EXAMPLE_ID T  (prints one example and its targets at temperature T"
              " as JSON)", file=sys.stderr)
        return 2
    root, example_id = argv[1], argv[2]
    try:
        T = float(argv[3])
    except ValueError:
        T = float("nan")
    if not T > 0 or T == float("inf"):
        print(f"read_store.py: T must be a temperature > 0, got {argv[3]!r}", file=sys.stderr)
        return 2
    if not os.path.isfile(f"{root}/manifest.json"):
        print(f"read_store.py: {root}: not a logit store (no {root}/manifest.json)", file=sys.stderr)
        return 1
    store = LogitStore(root)
    if example_id not in store.where:
        known = list(store.where)
        print(f"read_store.py: {root}: no example {example_id!r} in the store ({len(known)} examples"
              f"{', the first ' + repr(known[0]) if known else ''})", file=sys.stderr)
        return 1
    ex = store.read(example_id)
    logp, tail = teacher_logprobs(ex)
    vocab = store.meta["vocabSize"]
    student = np.sin(np.arange(vocab)[None, :] + 7.0 * ex["position"][:, None])
    print(json.dumps({
        "k": store.k,
        "pyarrow": pa.__version__,
        "position": ex["position"].tolist(),
        "tokenId": ex["tokenId"].tolist(),
        "topkIds": ex["topkIds"].ravel().tolist(),
        "topkLogits": ex["topkLogits"].ravel().tolist(),
        "logSumExp": ex["logSumExp"].tolist(),
        "logp": logp.ravel().tolist(),
        "tail": tail.tolist(),
        "probs": teacher_probs(ex, T).ravel().tolist(),
        "kl": forward_kl(ex, student, T).tolist(),
    }))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv))
