// Benchmark: size per token / per top-k entry, write and read throughput, random example read latency.
// Run: pnpm --filter @ssb/logit-store bench            (writes the results into README.md between markers)
//      pnpm --filter @ssb/logit-store bench --no-readme (print only)
// Data is synthetic (test/synthetic-logits.ts): real teacher top-k lists were not available on the machine.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type LogitDtype, openLogitStore, openLogitStoreWriter } from "../src/index.js";
import { type SyntheticRows, syntheticRows } from "../test/synthetic-logits.js";

const VOCAB = 151_936;

/** CPU seconds this process used since `from` (user + system), to separate our cost from other jobs' load. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}
const FULL_VOCAB_BYTES = VOCAB * 4;
const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const writeReadme = !process.argv.includes("--no-readme");
const storeGiB = Number(process.env.LOGIT_BENCH_GIB ?? 1);

interface Config {
  k: number;
  dtype: LogitDtype;
  compression: "zstd" | null;
  ids: "zipf" | "uniform";
  /** On-disk format (2 = current; 1 = plain float16 logits, kept for comparison). */
  format: 1 | 2;
}

interface Result extends Config {
  tokens: number;
  bytes: number;
  writeSeconds: number;
  readSeconds: number;
  writeCpu: number;
  readCpu: number;
}

/** A pool of examples reused under fresh ids, so generating the data is not part of the timings. */
function pool(k: number, ids: "zipf" | "uniform", tokens: number): SyntheticRows[] {
  const out: SyntheticRows[] = [];
  let total = 0;
  for (let i = 0; total < tokens; i++) {
    const n = 100 + ((i * 7919) % 900); // 100..999 tokens, like math replies
    out.push(syntheticRows(n, { vocabSize: VOCAB, k, seed: i, ids }));
    total += n;
  }
  return out;
}

function dirBytes(dir: string): number {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".arrow"))
    .reduce((s, f) => s + statSync(join(dir, f)).size, 0);
}

async function writeStore(dir: string, cfg: Config, examples: SyntheticRows[], targetBytes: number) {
  const meta = {
    modelId: "bench",
    tokenizerHash: "bench",
    vocabSize: VOCAB,
    k: cfg.k,
    dtype: cfg.dtype,
    captureTemperature: 1,
    formatVersion: cfg.format,
  };
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const w = await openLogitStoreWriter(dir, meta, { compression: cfg.compression });
  let tokens = 0;
  let bytesEstimate = 0;
  const rowBytes = 12 + cfg.k * (4 + (cfg.dtype === "float16" ? 2 : 4));
  for (let i = 0; bytesEstimate < targetBytes; i++) {
    const rows = examples[i % examples.length]!;
    w.writeExample(`example-${String(i).padStart(7, "0")}`, rows);
    tokens += rows.tokenIds.length;
    bytesEstimate += rows.tokenIds.length * rowBytes;
  }
  await w.close();
  return { tokens, seconds: (performance.now() - t0) / 1000, cpu: cpuSince(c0) };
}

async function readAll(dir: string): Promise<{ seconds: number; tokens: number; cpu: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const store = await openLogitStore(dir);
  let tokens = 0;
  let check = 0;
  for (const ex of store) {
    tokens += ex.length;
    check += ex.logSumExp[0] ?? 0; // touch the data
  }
  store.close();
  if (!Number.isFinite(check)) throw new Error("bad data");
  return { seconds: (performance.now() - t0) / 1000, tokens, cpu: cpuSince(c0) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Median of `REPEATS` runs: the machine is shared, and single runs swing by 2x with other jobs' load. */
const REPEATS = 3;

async function measure(cfg: Config, targetBytes: number): Promise<Result> {
  const rowBytes = 12 + cfg.k * (4 + (cfg.dtype === "float16" ? 2 : 4));
  const examples = pool(cfg.k, cfg.ids, Math.min(targetBytes / rowBytes, 200_000));
  const writes: number[] = [];
  const reads: number[] = [];
  const writeCpu: number[] = [];
  const readCpu: number[] = [];
  let tokens = 0;
  let bytes = 0;
  for (let rep = 0; rep < REPEATS; rep++) {
    const dir = mkdtempSync(join(tmpdir(), "logit-bench-"));
    try {
      const w = await writeStore(dir, cfg, examples, targetBytes);
      bytes = dirBytes(dir);
      tokens = w.tokens;
      writes.push(w.seconds);
      writeCpu.push(w.cpu);
      const r = await readAll(dir);
      reads.push(r.seconds);
      readCpu.push(r.cpu);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return {
    ...cfg,
    tokens,
    bytes,
    writeSeconds: median(writes),
    readSeconds: median(reads),
    writeCpu: median(writeCpu),
    readCpu: median(readCpu),
  };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function randomReads(dir: string, verifyChecksums: boolean, n: number) {
  const store = await openLogitStore(dir, { verifyChecksums });
  const ids = store.examples();
  let seed = 12345;
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    const id = ids[seed % ids.length]!;
    const t0 = performance.now();
    const ex = store.read(id);
    if (ex.length === 0) throw new Error("empty");
    times.push(performance.now() - t0);
  }
  store.close();
  times.sort((a, b) => a - b);
  return {
    p50: quantile(times, 0.5),
    p95: quantile(times, 0.95),
    max: times[times.length - 1]!,
    examples: ids.length,
  };
}

const mb = (bytes: number, s: number) => (bytes / 1e6 / s).toFixed(0);
const fmt = (x: number, d = 1) => x.toFixed(d);

async function main() {
  const startLoad = loadavg()[0]!.toFixed(1);
  const lines: string[] = [];
  const log = (s: string) => {
    console.log(s);
    lines.push(s);
  };

  // 1. Size and throughput per layout, on ~48 MB (uncompressed) stores.
  const configs: Config[] = [];
  for (const k of [20, 128]) {
    for (const dtype of ["float16", "float32"] as const) {
      for (const compression of [null, "zstd"] as const) {
        configs.push({ k, dtype, compression, ids: "zipf", format: 2 });
      }
    }
  }
  configs.push({ k: 20, dtype: "float16", compression: "zstd", ids: "uniform", format: 2 });
  // Format 1 (plain float16 logits) under the same conditions, for comparison with the steps layout.
  for (const compression of [null, "zstd"] as const) {
    configs.push({ k: 20, dtype: "float16", compression, ids: "zipf", format: 1 });
  }
  log(
    "| k | dtype | format | compression | ids | bytes/token | bytes/top-k entry | vs full-vocab f32 | write MB/s wall (per CPU-s) | read MB/s wall (per CPU-s) | write / read ktok/s wall |",
  );
  log("|---|---|---|---|---|---:|---:|---:|---:|---:|---:|");
  for (const cfg of configs) {
    const r = await measure(cfg, 48e6);
    const perToken = r.bytes / r.tokens;
    log(
      `| ${r.k} | ${r.dtype} | ${r.format} | ${r.compression ?? "none"} | ${r.ids} | ${fmt(perToken)} | ${fmt(perToken / r.k, 2)} | ${fmt(FULL_VOCAB_BYTES / perToken, 0)}x smaller | ${mb(r.bytes, r.writeSeconds)} (${mb(r.bytes, r.writeCpu)}) | ${mb(r.bytes, r.readSeconds)} (${mb(r.bytes, r.readCpu)}) | ${fmt(r.tokens / r.writeSeconds / 1e3, 0)} / ${fmt(r.tokens / r.readSeconds / 1e3, 0)} |`,
    );
  }
  log("");
  log(
    `Full-vocabulary float32 for comparison: ${VOCAB} x 4 = ${FULL_VOCAB_BYTES.toLocaleString("en-US")} bytes per token.`,
  );
  log("");

  // 2. A ~1 GB store (k=20, float16, uncompressed): write, sequential read, random example reads.
  const big: Config = { k: 20, dtype: "float16", compression: null, ids: "zipf", format: 2 };
  const dir = mkdtempSync(join(tmpdir(), "logit-bench-1g-"));
  try {
    const examples = pool(big.k, big.ids, 200_000);
    const w = await writeStore(dir, big, examples, storeGiB * 2 ** 30);
    const bytes = dirBytes(dir);
    const seq: number[] = [];
    const seqCpu: number[] = [];
    let readTokens = 0;
    for (let rep = 0; rep < REPEATS; rep++) {
      const r = await readAll(dir);
      seq.push(r.seconds);
      seqCpu.push(r.cpu);
      readTokens = r.tokens;
    }
    const r = { seconds: median(seq), tokens: readTokens, cpu: median(seqCpu) };
    const rr = await randomReads(dir, true, 2000);
    const rrNo = await randomReads(dir, false, 2000);
    const shards = readdirSync(dir).filter((f) => f.endsWith(".arrow")).length;
    log(
      `| ${fmt(bytes / 2 ** 30, 2)} GiB store, k=20 float16, ${rr.examples} examples, ${w.tokens.toLocaleString("en-US")} tokens, ${shards} shards | value |`,
    );
    log("|---|---:|");
    log(
      `| write (append + commit + fsync'd shards) | ${mb(bytes, w.seconds)} MB/s wall, ${mb(bytes, w.cpu)} MB per CPU-second (${fmt(w.tokens / w.seconds / 1e6, 2)} M tokens/s wall) |`,
    );
    log(
      `| sequential read, all examples, checksums verified (warm page cache, median of ${REPEATS}) | ${mb(bytes, r.seconds)} MB/s wall, ${mb(bytes, r.cpu)} MB per CPU-second (${fmt(r.tokens / r.seconds / 1e6, 2)} M tokens/s wall) |`,
    );
    log(
      `| random example read, checksums verified: p50 / p95 / max | ${fmt(rr.p50, 3)} / ${fmt(rr.p95, 3)} / ${fmt(rr.max, 2)} ms |`,
    );
    log(
      `| random example read, no checksum: p50 / p95 / max | ${fmt(rrNo.p50, 3)} / ${fmt(rrNo.p95, 3)} / ${fmt(rrNo.max, 2)} ms |`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // 3. The rollout pattern: one token per append call, 8 examples interleaved (a batched generation step).
  {
    const dir2 = mkdtempSync(join(tmpdir(), "logit-bench-tok-"));
    try {
      const k = 20;
      const meta = {
        modelId: "bench",
        tokenizerHash: "bench",
        vocabSize: VOCAB,
        k,
        dtype: "float16" as const,
        captureTemperature: 1,
      };
      const rows = syntheticRows(500, { vocabSize: VOCAB, k, seed: 1 });
      const w = await openLogitStoreWriter(dir2, meta);
      const t0 = performance.now();
      let tokens = 0;
      for (let round = 0; round < 40; round++) {
        const ids = Array.from({ length: 8 }, (_, e) => `r${round}-e${e}`);
        for (let t = 0; t < 500; t++) {
          for (const id of ids) {
            w.append(id, {
              tokenIds: rows.tokenIds.subarray(t, t + 1),
              topkIds: rows.topkIds.subarray(t * k, (t + 1) * k),
              topkLogits: rows.topkLogits.subarray(t * k, (t + 1) * k),
              logSumExp: rows.logSumExp.subarray(t, t + 1),
            });
            tokens++;
          }
        }
        for (const id of ids) w.commitExample(id);
      }
      await w.close();
      const s = (performance.now() - t0) / 1000;
      log("");
      log(
        `Token-by-token appends (k=20 float16, 8 examples interleaved, one token per call): ${fmt(tokens / s / 1e3, 0)}k tokens/s.`,
      );
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  }

  const cpu = cpus();
  const machine = `${cpu[0]?.model ?? "unknown CPU"}, ${cpu.length} cores, ${fmt(totalmem() / 2 ** 30, 0)} GiB RAM, Node ${process.version}, ${process.platform}`;
  const header = [
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on ${machine};`,
    `load average at the start ${startLoad}, at the end ${loadavg()
      .map((x) => x.toFixed(1))
      .join(" / ")} (the machine is shared, so throughput varies by run).`,
    "Command: `pnpm --filter @ssb/logit-store bench`. Synthetic data (test/synthetic-logits.ts): ids Zipf-skewed",
    '("uniform" = worst case for compression), logits sorted with shrinking gaps; real teacher outputs may compress differently.',
    "",
  ];
  console.log(`\n${header.join("\n")}`);
  if (writeReadme) {
    const readme = join(packageDir, "README.md");
    const text = readFileSync(readme, "utf8");
    const begin = "<!-- bench:begin -->";
    const end = "<!-- bench:end -->";
    const a = text.indexOf(begin);
    const b = text.indexOf(end);
    if (a < 0 || b < a) throw new Error(`${readme}: markers ${begin} / ${end} not found`);
    const body = [...header, ...lines].join("\n");
    writeFileSync(readme, `${text.slice(0, a + begin.length)}\n${body}\n${text.slice(b)}`);
    console.log(`results written to ${readme}`);
  }
}

await main();
