# Writes an @ssb/logit-store store with pyarrow + numpy, for the distill trainer to read (README, "Writing a
# store from Python"). src/python.test.ts runs it and reads the result with openLogitStore.
#
#   write_store("run/logits", meta, examples, compression="zstd")
#
# meta: {"modelId", "tokenizerHash", "vocabSize", "k", "dtype": "float16" | "float32", "captureTemperature",
#        "formatVersion": 2} (format 2 stores float16 logits as steps; 1 as a plain Float16 column).
# examples: iterable of (example_id, rows), rows a dict of numpy arrays for the example's n reply tokens:
#   "tokenIds" [n] (the sampled tokens), "topkIds" [n, k], "topkLogits" [n, k] (raw logits at T = 1, each row
#   sorted descending; or log-probabilities, with logSumExp 0), "logSumExp" [n] (log-sum-exp over the whole
#   vocabulary at T = 1), optional "positions" [n] (default 0..n-1).
# It makes a new store: the folder must not hold one already (our writer can then append to it).
import json
import os
import struct
import sys
import zlib

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

META_KEYS = ["modelId", "tokenizerHash", "vocabSize", "k", "dtype", "captureTemperature", "formatVersion"]


def arrow_schema(meta):
    """The shard schema of README "Schema": columns in this order, none nullable, metadata as strings."""
    k = meta["k"]
    item = lambda t: pa.field("item", t, nullable=False)
    cols = [("exampleId", pa.string()), ("position", pa.int32()), ("tokenId", pa.int32()),
            ("topkIds", pa.list_(item(pa.int32()), k))]
    if meta["dtype"] == "float16" and meta["formatVersion"] >= 2:
        cols += [("topkLogitMax", pa.float16()), ("topkLogitSteps", pa.list_(item(pa.uint16()), k))]
    else:
        cols += [("topkLogits", pa.list_(item(pa.float16() if meta["dtype"] == "float16" else pa.float32()), k))]
    cols += [("logSumExp", pa.float32())]
    metadata = {key: str(meta[key]) for key in META_KEYS}  # Python's str(0.7) is "0.7", as JSON would write it
    return pa.schema([pa.field(name, t, nullable=False) for name, t in cols], metadata=metadata)


def float16_steps(logits):
    """Format 2: each row's top logit as float16, and how many float16 values each entry lies below the one
    before it (0 for entry 0). -0 ranks with +0, and a top logit of -0 is written as +0."""
    bits = np.ascontiguousarray(logits, dtype=np.float16).view(np.uint16).astype(np.int32)
    rank = np.where(bits & 0x8000, 0x7FFF - (bits & 0x7FFF), 0x8000 + bits)
    rank[bits == 0x8000] = 0x8000
    steps = np.zeros_like(rank)
    steps[:, 1:] = rank[:, :-1] - rank[:, 1:]
    if (steps < 0).any():
        raise ValueError(f"row {int(np.argwhere(steps < 0)[0][0])}: topkLogits not sorted descending")
    top = np.where(rank[:, 0] >= 0x8000, rank[:, 0] - 0x8000, 0x8000 | (0x7FFF - rank[:, 0]))
    return top.astype(np.uint16).view(np.float16), steps.astype(np.uint16)


def record_batch(schema, meta, group):
    """One record batch holding the rows of whole examples, back to back."""
    k = meta["k"]
    cat = lambda name, dtype: np.concatenate([np.asarray(rows[name], dtype=dtype) for _, rows in group])
    n = [len(rows["tokenIds"]) for _, rows in group]
    positions = np.concatenate([np.asarray(rows.get("positions", np.arange(m)), dtype=np.int32)
                                for (_, rows), m in zip(group, n)])
    logits = cat("topkLogits", np.float32).reshape(-1, k)
    data = [pa.array([i for (i, _), m in zip(group, n) for _ in range(m)], pa.string()),
            pa.array(positions), pa.array(cat("tokenIds", np.int32)),
            pa.FixedSizeListArray.from_arrays(pa.array(cat("topkIds", np.int32).ravel()), k)]
    if "topkLogitMax" in schema.names:
        top, steps = float16_steps(logits)
        data += [pa.array(top), pa.FixedSizeListArray.from_arrays(pa.array(steps.ravel()), k)]
    else:
        dtype = np.float16 if meta["dtype"] == "float16" else np.float32
        data += [pa.FixedSizeListArray.from_arrays(pa.array(logits.astype(dtype).ravel()), k)]
    data += [pa.array(cat("logSumExp", np.float32))]
    return pa.record_batch(data, schema=schema)


def footer_blocks(data):
    """(offset, metaDataLength, bodyLength) of each record batch, read from the IPC file's footer (a flatbuffer:
    root table Footer, field 3 = recordBatches, a vector of 24-byte Block structs)."""
    footer_len = struct.unpack_from("<i", data, len(data) - 10)[0]
    fb = data[len(data) - 10 - footer_len: len(data) - 10]
    root = struct.unpack_from("<I", fb, 0)[0]
    vtable = root - struct.unpack_from("<i", fb, root)[0]
    field = struct.unpack_from("<H", fb, vtable + 4 + 2 * 3)[0]
    vec = root + field + struct.unpack_from("<I", fb, root + field)[0]
    count = struct.unpack_from("<I", fb, vec)[0]
    return [struct.unpack_from("<qi4xq", fb, vec + 4 + 24 * i) for i in range(count)]


def write_shard(root, index, schema, meta, batches, compression):
    """Writes shard-NNNNNN.arrow (temp name, fsync, rename) and returns its manifest entry and examples."""
    file = f"shard-{index:06d}.arrow"
    tmp = f"{root}/{file}.partial"
    with ipc.new_file(tmp, schema, options=ipc.IpcWriteOptions(compression=compression)) as w:
        for group in batches:
            w.write_batch(record_batch(schema, meta, group))
    with open(tmp, "rb") as f:
        data = f.read()
        os.fsync(f.fileno())
    os.replace(tmp, f"{root}/{file}")
    blocks, examples, shard_row = [], [], 0
    for b, ((offset, meta_len, body_len), group) in enumerate(zip(footer_blocks(data), batches)):
        batch_row = 0
        for example_id, rows in group:
            n = len(rows["tokenIds"])
            examples.append({"id": example_id, "shard": None, "batch": b, "batchRow": batch_row,
                             "shardRow": shard_row + batch_row, "rows": n})
            batch_row += n
        blocks.append({"offset": offset, "metaLength": meta_len, "bodyLength": body_len, "rows": batch_row,
                       "crc32": zlib.crc32(data[offset: offset + meta_len + body_len])})
        shard_row += batch_row
    entry = {"file": file, "bytes": len(data), "rows": shard_row, "compression": compression, "batches": blocks}
    return entry, examples


def write_store(root, meta, examples, compression=None, batch_rows=8192, shard_rows=1 << 20):
    """Writes a new store: record batches of whole examples (about batch_rows rows; an example is never split),
    shards of about shard_rows rows, then manifest.json (written last, atomically: it is what makes the store)."""
    if os.path.exists(f"{root}/manifest.json"):
        raise FileExistsError(f"{root}/manifest.json: a store is already there; append with the TypeScript writer")
    os.makedirs(root, exist_ok=True)
    schema = arrow_schema(meta)
    manifest = {"format": "ssb-logit-store", "formatVersion": meta["formatVersion"], "meta": meta,
                "shards": [], "examples": []}
    shard, group, group_rows, shard_rows_now = [], [], 0, 0

    def end_shard():
        entry, entries = write_shard(root, len(manifest["shards"]), schema, meta, shard, compression)
        for e in entries:
            e["shard"] = len(manifest["shards"])
        manifest["shards"].append(entry)
        manifest["examples"].extend(entries)

    seen = set()
    for example_id, rows in examples:
        n = len(rows["tokenIds"])
        if n == 0:
            raise ValueError(f"example {example_id!r} has no rows")
        # Checked before its rows are written: a manifest listing an id twice is refused by every reader.
        if example_id in seen:
            raise ValueError(f"example {example_id!r} appears twice; each example is written once")
        seen.add(example_id)
        if group and group_rows + n > batch_rows:
            shard.append(group)
            group, group_rows = [], 0
            if shard_rows_now >= shard_rows:
                end_shard()
                shard, shard_rows_now = [], 0
        group.append((example_id, rows))
        group_rows += n
        shard_rows_now += n
    if group:
        shard.append(group)
    if shard:
        end_shard()
    with open(f"{root}/manifest.json.tmp", "w") as f:
        json.dump(manifest, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(f"{root}/manifest.json.tmp", f"{root}/manifest.json")


def main(argv):
    """python write_store.py STORE SPEC.json: SPEC holds {"meta", "compression", "batchRows", "shardRows",
    "examples": [{"id", "tokenIds", "topkIds", "topkLogits", "logSumExp", "positions"?}]} (used by the test;
    "-inf" in topkLogits stands for a masked logit, which JSON cannot hold). A user's mistake (no SPEC, a SPEC
    that is not JSON, a store already there) is one line on stderr, not a traceback."""
    if len(argv) != 3:
        print("usage: python write_store.py STORE SPEC.json  (writes a new store from the examples in SPEC.json)",
              file=sys.stderr)
        return 2
    try:
        with open(argv[2]) as f:
            spec = json.load(f)
    except (OSError, ValueError) as e:
        print(f"write_store.py: {argv[2]}: cannot read the spec ({e})", file=sys.stderr)
        return 1
    try:
        examples = [(e["id"], {key: np.asarray([float(x) for x in v] if key == "topkLogits" else v)
                               for key, v in e.items() if key != "id"}) for e in spec["examples"]]
        for _, rows in examples:
            rows["topkIds"] = rows["topkIds"].reshape(-1, spec["meta"]["k"])
    except KeyError as e:
        print(f"write_store.py: {argv[2]}: field {e} is missing (a spec holds meta and examples)", file=sys.stderr)
        return 1
    except (TypeError, ValueError, AttributeError) as e:
        print(f"write_store.py: {argv[2]}: not a spec of meta and examples ({e})", file=sys.stderr)
        return 1
    try:
        write_store(argv[1], spec["meta"], examples, spec.get("compression"),
                    spec.get("batchRows", 8192), spec.get("shardRows", 1 << 20))
    except (FileExistsError, ValueError) as e:
        print(f"write_store.py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
