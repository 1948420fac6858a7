import { ComputeEngine } from "@cortex-js/compute-engine";
import type { Budget } from "./budget.js";
import { parseSimpleLatex } from "./fast-latex.js";

/** MathJSON as the Compute Engine writes it: numbers, symbols, `{num}` objects, and `[head, ...args]`. */
export type MathJson = number | string | { num: string } | { str: string } | { sym: string } | MathJson[];

let engine: ComputeEngine | null = null;

/** One engine per process: creating it costs ~15 ms, parsing with it ~0.1–1 ms. */
function getEngine(): ComputeEngine {
  engine ??= new ComputeEngine();
  return engine;
}

/** Expressions that take the parser through its common paths once, so later parses run at their warm speed. */
const WARM_UP = [
  "\\frac{1}{2}+\\sqrt{3}x^{2}-\\pi",
  "(1,2)",
  "\\sin(x)\\cdot e^{i}",
  "2\\sqrt{13}",
  "6-5i",
  "\\{1,2\\}",
];
let warm = false;

/**
 * Creates the engine and runs the warm-up parses (~100–150 ms, once per process). Callers time this and
 * leave it out of a comparison's budget: otherwise the first symbolic answer of every process would be
 * graded "budget-exceeded".
 */
export function warmUpEngine(): void {
  if (warm) return;
  const ce = getEngine();
  for (const latex of WARM_UP) ce.parse(latex, { canonical: false }).json;
  ce.parse("x+1").isSame(ce.parse("1+x"));
  warm = true;
}

export const engineIsWarm = (): boolean => warm;

/** The budget of the comparison in progress, which the engine's start-up is kept out of (see useBudget). */
let activeBudget: Budget | null = null;

/**
 * Makes `budget` the one the engine's start-up is excluded from, and returns the one before it (to put back
 * when the comparison ends). The engine starts on the first parse the fast parser cannot do, not when a
 * comparison merely reaches the parser stage, so a process that only ever sees the common answer shapes never
 * pays the warm-up's ~100–400 ms at all. (A plain variable rather than a wrapper taking a callback: two
 * closures per comparison made integer grading ~25% slower.)
 */
export function useBudget(budget: Budget | null): Budget | null {
  const previous = activeBudget;
  activeBudget = budget;
  return previous;
}

/** The engine, warmed up first (outside the current comparison's budget) if this is its first use. */
function warmEngine(): ComputeEngine {
  if (!warm) {
    if (activeBudget === null) warmUpEngine();
    else activeBudget.exclude(warmUpEngine);
  }
  return getEngine();
}

let fastParse = true;

/**
 * Turns the fast parser (fast-latex.ts) off or on, for the differential test and the bench that compare
 * verdicts and speed with and without it. Not part of the public API.
 */
export function setFastLatexParse(enabled: boolean): void {
  fastParse = enabled;
}

/** The engine's own parse, uncached, with errors as null: the reference the fast parser must match. */
export function engineParseLatex(latex: string): MathJson | null {
  try {
    const json = warmEngine().parse(latex, { canonical: false }).json as MathJson;
    return containsError(json) ? null : json;
  } catch {
    return null;
  }
}

const CACHE_LIMIT = 2_000;
const cache = new Map<string, MathJson | null>();

/**
 * Parses LaTeX into *non-canonical* MathJSON. Canonicalisation and the engine's own numeric evaluation are
 * avoided on purpose: `10^{10^{10}}` sends `.N()` into an out-of-memory loop, while we evaluate with bounded
 * float arithmetic ourselves (see evaluate.ts). Returns null when the engine reports a syntax error.
 */
export function parseLatex(latex: string): MathJson | null {
  // The common shapes parse ~50x faster here, to the engine's own MathJSON (see fast-latex.ts).
  if (fastParse) {
    const simple = parseSimpleLatex(latex);
    if (simple !== null) return simple;
  }
  const hit = cache.get(latex);
  if (hit !== undefined || cache.has(latex)) return hit ?? null;
  const json = engineParseLatex(latex);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(latex, json);
  return json;
}

function containsError(json: MathJson): boolean {
  if (!Array.isArray(json)) return false;
  if (json[0] === "Error") return true;
  for (let i = 1; i < json.length; i++) if (containsError(json[i] as MathJson)) return true;
  return false;
}

/**
 * Structural identity after the engine's canonicalisation (`x+1` = `1+x`), the fallback for expressions our
 * evaluator cannot compute. Canonicalisation rewrites without evaluating, so its cost stays bounded.
 */
export function canonicallySame(a: string, b: string): boolean {
  try {
    const ce = warmEngine();
    const ea = ce.parse(a);
    const eb = ce.parse(b);
    if (!ea.isValid || !eb.isValid) return false;
    return ea.isSame(eb);
  } catch {
    return false;
  }
}
