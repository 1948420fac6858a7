# Settings search for the embedded default model, on a GPU, in plain PyTorch (no transformers needed).
#
# Trains the same Qwen2 architecture on the same tokenized SFT mix that `train.ts` feeds @ssb/distill, with
# the same optimiser (AdamW, cosine with 3% warm-up, min lr 10%, clip 1, weight decay 0.01, length-bucketed
# batches), then samples the held-out prompts (T=0.8 top-k 50 n=4, greedy, and the teacher prompt at T=0.4)
# and checks the last \boxed{} against the answer. A setting takes a minute on a GPU instead of an hour on
# the CPU. It only chooses settings: the committed checkpoint is trained by `train.ts` with @ssb/distill.
#
#   pnpm --filter @ssb/default-model exec tsx scripts/train.ts --prepare-only --work /tmp/d1   # + any flags
#   gzip -k /tmp/d1/sft.jsonl /tmp/d1/held-out-prompts.jsonl && cp /tmp/d1/init/{tokenizer,config}.json /tmp/d1/
#   python explore-gpu.py --data /tmp/d1 --name d1 --out results --lr 0.001
#
# Results of the search that chose the committed settings: ../exploration/results.jsonl (README).
import gzip, json, math, os, re, sys, time, argparse
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--data", required=True)
p.add_argument("--name", required=True)
p.add_argument("--out", required=True)
p.add_argument("--hidden", type=int, default=128)
p.add_argument("--layers", type=int, default=4)
p.add_argument("--heads", type=int, default=4)
p.add_argument("--kv", type=int, default=2)
p.add_argument("--inter", type=int, default=384)
p.add_argument("--epochs", type=float, default=2)
p.add_argument("--lr", type=float, default=3e-3)
p.add_argument("--batch", type=int, default=16)
p.add_argument("--n", type=int, default=4)
p.add_argument("--limit", type=int, default=500)
p.add_argument("--max-new", type=int, default=256)
p.add_argument("--max-steps", type=int, default=0)
p.add_argument("--seed", type=int, default=0)
a = p.parse_args()
dev = "cuda" if torch.cuda.is_available() else "cpu"
torch.manual_seed(a.seed)
if dev == "cuda":
    torch.backends.cuda.matmul.allow_tf32 = True

cfg = json.load(open(os.path.join(a.data, "config.json")))
V = cfg["vocab_size"]; EOS = cfg["eos_token_id"]; PAD = cfg["pad_token_id"]
H, L, NH, KV, I = a.hidden, a.layers, a.heads, a.kv, a.inter
HD = H // NH


class Block(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.n1 = torch.nn.Parameter(torch.ones(H)); s.n2 = torch.nn.Parameter(torch.ones(H))
        s.q = torch.nn.Linear(H, NH * HD); s.k = torch.nn.Linear(H, KV * HD); s.v = torch.nn.Linear(H, KV * HD)
        s.o = torch.nn.Linear(NH * HD, H, bias=False)
        s.g = torch.nn.Linear(H, I, bias=False); s.u = torch.nn.Linear(H, I, bias=False); s.d = torch.nn.Linear(I, H, bias=False)


def rms(x, w):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6))


def rope(x, pos):  # x [B, h, T, HD], pos [B, T]
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, HD, 2, device=x.device).float() / HD))
    f = pos.float()[..., None] * inv  # B T HD/2
    emb = torch.cat([f, f], -1)[:, None]
    cos, sin = emb.cos(), emb.sin()
    x1, x2 = x[..., : HD // 2], x[..., HD // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


class Model(torch.nn.Module):
    def __init__(s):
        super().__init__()
        s.emb = torch.nn.Embedding(V, H)
        s.blocks = torch.nn.ModuleList([Block() for _ in range(L)])
        s.norm = torch.nn.Parameter(torch.ones(H))
        for m in s.modules():
            if isinstance(m, (torch.nn.Linear, torch.nn.Embedding)):
                torch.nn.init.normal_(m.weight, std=0.02)
                if isinstance(m, torch.nn.Linear) and m.bias is not None:
                    torch.nn.init.zeros_(m.bias)

    def forward(s, ids, pos, mask, cache=None):
        # ids [B,T]; pos [B,T]; mask [B, S] key mask over cache+new (1 = real); cache: list of (k, v) per layer
        B, T = ids.shape
        x = s.emb(ids)
        S = mask.shape[1]
        past = S - T
        causal = torch.ones(T, S, dtype=torch.bool, device=ids.device).tril(past)
        allow = causal[None] & mask[:, None, :].bool()  # B T S
        bias = torch.zeros(B, 1, T, S, device=ids.device).masked_fill(~allow[:, None], float("-inf"))
        new_cache = []
        for li, b in enumerate(s.blocks):
            h = rms(x, b.n1)
            q = b.q(h).view(B, T, NH, HD).transpose(1, 2)
            k = b.k(h).view(B, T, KV, HD).transpose(1, 2)
            v = b.v(h).view(B, T, KV, HD).transpose(1, 2)
            q = rope(q, pos); k = rope(k, pos)
            if cache is not None:
                k = torch.cat([cache[li][0], k], 2); v = torch.cat([cache[li][1], v], 2)
            new_cache.append((k, v))
            kk = k.repeat_interleave(NH // KV, 1); vv = v.repeat_interleave(NH // KV, 1)
            att = (q @ kk.transpose(-1, -2)) / math.sqrt(HD) + bias
            att = torch.softmax(att, -1).nan_to_num(0.0)
            y = (att @ vv).transpose(1, 2).reshape(B, T, H)
            x = x + b.o(y)
            h = rms(x, b.n2)
            x = x + b.d(F.silu(b.g(h)) * b.u(h))
        return rms(x, s.norm) @ s.emb.weight.T, new_cache


def load_jsonl_gz(f):
    with gzip.open(f, "rt") as fh:
        return [json.loads(l) for l in fh if l.strip()]


recs = load_jsonl_gz(os.path.join(a.data, "sft.jsonl.gz"))
model = Model().to(dev)
params = sum(p.numel() for p in model.parameters())
g = torch.Generator().manual_seed(a.seed)
steps_per_epoch = math.ceil(len(recs) / a.batch)
total = int(steps_per_epoch * a.epochs) if a.max_steps == 0 else a.max_steps
opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)
warm = max(1, int(0.03 * total))


def lr_at(step):
    if step < warm:
        return a.lr * (step + 1) / warm
    t = (step - warm) / max(1, total - warm)
    return a.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))


def batches():
    while True:
        order = torch.randperm(len(recs), generator=g).tolist()
        # length bucketing inside chunks of 50 batches, as our trainer does
        chunk = a.batch * 50
        bs = []
        for c in range(0, len(order), chunk):
            part = sorted(order[c:c + chunk], key=lambda i: len(recs[i]["promptTokenIds"]) + len(recs[i]["responseTokenIds"]))
            bs += [part[j:j + a.batch] for j in range(0, len(part), a.batch)]
        for j in torch.randperm(len(bs), generator=g).tolist():
            yield bs[j]


t0 = time.time()
it = batches()
tokens = 0
losses = []
model.train()
for step in range(total):
    idx = next(it)
    seqs = [recs[i]["promptTokenIds"] + recs[i]["responseTokenIds"] for i in idx]
    T = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), T), PAD, dtype=torch.long)
    lab = torch.full((len(seqs), T), -100, dtype=torch.long)
    m = torch.zeros((len(seqs), T), dtype=torch.long)
    for r, i in enumerate(idx):
        s = seqs[r]; pl = len(recs[i]["promptTokenIds"])
        ids[r, : len(s)] = torch.tensor(s); m[r, : len(s)] = 1
        lab[r, pl - 1: len(s) - 1] = torch.tensor(s[pl:])
    ids, lab, m = ids.to(dev), lab.to(dev), m.to(dev)
    pos = torch.arange(T, device=dev)[None].expand(len(seqs), T)
    logits, _ = model(ids, pos, m)
    loss = F.cross_entropy(logits.reshape(-1, V), lab.reshape(-1), ignore_index=-100)
    for pg in opt.param_groups:
        pg["lr"] = lr_at(step)
    opt.zero_grad(); loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    tokens += int(m.sum())
    losses.append(float(loss))
    if step % 200 == 0:
        print(f"[{a.name}] step {step}/{total} loss {loss.item():.4f} {time.time() - t0:.0f}s", flush=True)
train_s = time.time() - t0
final_loss = sum(losses[-50:]) / len(losses[-50:])

# ---- decode helpers (byte-level BPE) ----
tok = json.load(open(os.path.join(a.data, "tokenizer.json")))
bs_ = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
cs = bs_[:]
nn_ = 0
for b in range(256):
    if b not in bs_:
        bs_.append(b); cs.append(256 + nn_); nn_ += 1
u2b = {chr(c): b for b, c in zip(bs_, cs)}
id2s = {v: k for k, v in tok["model"]["vocab"].items()}
special = {t["id"] for t in tok["added_tokens"]}


def decode(ids):
    out = bytearray()
    for i in ids:
        if i in special:
            continue
        out += bytes(u2b[ch] for ch in id2s[i])
    return out.decode("utf8", errors="replace")


def boxed(text):
    ms = re.findall(r"\\boxed\{([^{}]*)\}", text)
    return ms[-1].strip() if ms else None


@torch.no_grad()
def generate(prompts, temp, n, max_new, bsz=128):
    model.eval()
    outs = []
    gen = torch.Generator(device=dev).manual_seed(1234)
    work = [p for p in prompts for _ in range(n)]
    for c in range(0, len(work), bsz):
        ps = work[c:c + bsz]
        B = len(ps); P = max(len(p) for p in ps)
        ids = torch.full((B, P), PAD, dtype=torch.long); m = torch.zeros((B, P), dtype=torch.long)
        for r, pr in enumerate(ps):
            ids[r, P - len(pr):] = torch.tensor(pr); m[r, P - len(pr):] = 1
        ids, m = ids.to(dev), m.to(dev)
        pos = (m.cumsum(1) - 1).clamp(min=0)
        logits, cache = model(ids, pos, m)
        last = logits[:, -1]
        done = torch.zeros(B, dtype=torch.bool, device=dev)
        gen_ids = []
        nextpos = pos[:, -1] + 1
        for _ in range(max_new):
            if temp == 0:
                nxt = last.argmax(-1)
            else:
                lg = last / temp
                kth = lg.topk(50, -1).values[:, -1:]
                lg = lg.masked_fill(lg < kth, float("-inf"))
                nxt = torch.multinomial(torch.softmax(lg, -1), 1, generator=gen)[:, 0]
            nxt = torch.where(done, torch.full_like(nxt, PAD), nxt)
            gen_ids.append(nxt)
            done = done | (nxt == EOS) | (nxt == PAD)
            if bool(done.all()):
                break
            m = torch.cat([m, (~done).long()[:, None] | 1], 1)
            logits, cache = model(nxt[:, None], nextpos[:, None], m, cache)
            last = logits[:, -1]
            nextpos = nextpos + 1
        G = torch.stack(gen_ids, 1).tolist()
        for row in G:
            cut = []
            for t in row:
                if t == EOS or t == PAD:
                    break
                cut.append(t)
            outs.append(cut)
    return outs


held = load_jsonl_gz(os.path.join(a.data, "held-out-prompts.jsonl.gz"))[: a.limit]
t1 = time.time()
st = generate([h["student"] for h in held], 0.8, a.n, a.max_new)
correct = [[boxed(decode(st[i * a.n + j])) == h["answer"] for j in range(a.n)] for i, h in enumerate(held)]
pass1 = sum(sum(c) for c in correct) / (len(held) * a.n)
mixed = sum(1 for c in correct if any(c) and not all(c)) / len(held)
greedy = generate([h["student"] for h in held], 0, 1, a.max_new)
gpass = sum(boxed(decode(greedy[i])) == h["answer"] for i, h in enumerate(held)) / len(held)
th = [h for h in held if h["teacher"]]
te = generate([h["teacher"] for h in th], 0.4, 1, a.max_new)
tacc = sum(boxed(decode(te[i])) == h["answer"] for i, h in enumerate(th)) / max(1, len(th))
lens = sum(len(x) for x in st) / len(st)
res = dict(name=a.name, data=os.path.basename(a.data.rstrip("/")), hidden=H, layers=L, heads=NH, kv=KV, inter=I,
           epochs=a.epochs, lr=a.lr, params=params, steps=total, tokens=tokens, train_s=round(train_s, 1),
           final_loss=round(final_loss, 4), pass1_t08=round(pass1, 4), greedy=round(gpass, 4),
           teacher_t04=round(tacc, 4), mixed_k4=round(mixed, 4), mean_len=round(lens, 1),
           eval_s=round(time.time() - t1, 1), example=decode(st[0])[:400])
print(json.dumps(res), flush=True)
os.makedirs(a.out, exist_ok=True)
with open(os.path.join(a.out, "results.jsonl"), "a") as f:
    f.write(json.dumps(res) + "\n")
