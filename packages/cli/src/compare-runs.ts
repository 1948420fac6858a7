/**
 * Test support (not exported): compare two work directories of the same config — records exactly, logits
 * within float16 tolerance, adapter weights within float tolerance — and list every difference found.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { float16BitsToFloat32Array, openLogitStore } from "@ssb/logit-store";
import { openSafetensors } from "@ssb/model";

const lines = (file: string): Record<string, unknown>[] =>
  existsSync(file)
    ? readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>)
    : [];

function byKey(records: Record<string, unknown>[], key: (r: Record<string, unknown>) => string) {
  return new Map(records.map((r) => [key(r), r]));
}

function compareRecords(
  what: string,
  a: Record<string, unknown>[],
  b: Record<string, unknown>[],
  key: (r: Record<string, unknown>) => string,
  fields: string[] | null,
  out: string[],
): void {
  const ma = byKey(a, key);
  const mb = byKey(b, key);
  if (ma.size !== mb.size || ma.size !== a.length) out.push(`${what}: ${a.length} vs ${b.length} records`);
  for (const [k, ra] of ma) {
    const rb = mb.get(k);
    if (!rb) {
      out.push(`${what}: ${k} missing`);
      continue;
    }
    const pick = (r: Record<string, unknown>) =>
      JSON.stringify(fields ? fields.map((f) => r[f]) : r, Object.keys(r).sort());
    if (pick(ra) !== pick(rb)) out.push(`${what}: ${k} differs`);
  }
}

/**
 * Largest relative L2 difference accepted per adapter tensor: a handful of coordinates off by an AdamW step
 * (lr 1e-3, ~6e-4 each on a LoRA A of the default model) pass; one step more or fewer for every coordinate
 * (~2e-2) does not.
 */
export const ADAPTER_TOLERANCE = 5e-3;

/** ‖a − b‖ / ‖a‖ over a whole tensor (0 for equal tensors, Infinity for different lengths). */
export function relativeL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    diff += (x - (b[i] ?? 0)) ** 2;
    norm += x * x;
  }
  return diff === 0 ? 0 : Math.sqrt(diff / Math.max(norm, Number.MIN_VALUE));
}

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (Math.abs(x - y) > tol * Math.max(1, Math.abs(x), Math.abs(y))) return false;
  }
  return true;
}

/** Differences between two work directories (empty when they match). */
export async function compareWorkDirs(a: string, b: string): Promise<string[]> {
  const out: string[] = [];
  const rolloutKey = (r: Record<string, unknown>) => `${String(r.problemId)}#${String(r.sampleIndex)}`;
  const problemKey = (r: Record<string, unknown>) => String(r.problemId);
  for (const f of ["problems/train.jsonl", "problems/eval.jsonl"]) {
    if (readFileSync(path.join(a, f), "utf8") !== readFileSync(path.join(b, f), "utf8"))
      out.push(`${f} differs`);
  }
  compareRecords(
    "rollouts",
    lines(path.join(a, "rollout/rollouts.jsonl")),
    lines(path.join(b, "rollout/rollouts.jsonl")),
    rolloutKey,
    ["text", "tokenIds", "finishReason", "seed"],
    out,
  );
  for (const f of ["pairs.jsonl", "dropped.jsonl", "teacher-prompts.jsonl"]) {
    compareRecords(
      `curate/${f}`,
      lines(path.join(a, "curate", f)),
      lines(path.join(b, "curate", f)),
      problemKey,
      null,
      out,
    );
  }
  // Logits: the same token ids; values within float16 rounding (batch composition may differ after a resume).
  const storeA = await openLogitStore(path.join(a, "curate/logits"));
  const storeB = await openLogitStore(path.join(b, "curate/logits"));
  for (const pair of lines(path.join(a, "curate/pairs.jsonl"))) {
    const key = String(pair.logitKey);
    if (!storeB.has(key)) {
      out.push(`logits: ${key} missing`);
      continue;
    }
    const x = storeA.read(key);
    const y = storeB.read(key);
    const values = (e: typeof x) =>
      e.topkLogits instanceof Uint16Array ? float16BitsToFloat32Array(e.topkLogits) : e.topkLogits;
    if (!close(x.tokenIds, y.tokenIds, 0)) out.push(`logits: ${key} token ids differ`);
    if (!close(values(x), values(y), 2e-3))
      out.push(`logits: ${key} top-k logits differ beyond float16 tolerance`);
    if (!close(x.logSumExp, y.logSumExp, 1e-4)) out.push(`logits: ${key} log-sum-exp differs`);
  }
  storeA.close();
  storeB.close();
  // Adapter weights, per tensor as a whole. They are trained on the teacher logits above, which may differ by
  // float16 rounding after a resume; AdamW turns such noise into whole-step (lr-sized) differences in the odd
  // coordinate whose gradient is near zero (seen once in CI: one lora_A off by more than 1e-4 while the
  // others differed by ~1e-8). A resume that skipped, repeated or restarted steps moves whole tensors.
  const adapter = "distill/adapter/adapter_model.safetensors";
  if (existsSync(path.join(a, adapter)) !== existsSync(path.join(b, adapter)))
    out.push("adapter: only in one run");
  else if (existsSync(path.join(a, adapter))) {
    const ta = await openSafetensors(path.join(a, adapter));
    const tb = await openSafetensors(path.join(b, adapter));
    for (const name of ta.names()) {
      const wa = await ta.readFloat32(name);
      const wb = await tb.readFloat32(name);
      const rel = relativeL2(wa.data, wb.data);
      if (rel > ADAPTER_TOLERANCE) out.push(`adapter: ${name} differs (relative L2 ${rel.toExponential(2)})`);
    }
    await ta.close();
    await tb.close();
  }
  for (const run of ["base", "student"]) {
    compareRecords(
      `eval/${run}`,
      lines(path.join(a, "eval", run, "records.jsonl")),
      lines(path.join(b, "eval", run, "records.jsonl")),
      rolloutKey,
      null,
      out,
    );
  }
  const cmp = (d: string) => JSON.parse(readFileSync(path.join(d, "eval/outcome.json"), "utf8")).comparison;
  if (JSON.stringify(cmp(a)) !== JSON.stringify(cmp(b))) out.push("eval/outcome.json comparison differs");
  return out;
}
