/**
 * Which problems a round trains on: epochs over the problem list, each shuffled by (seed, epoch), consumed
 * `perStep` at a time. A pure function of (seed, step), so a resumed run draws exactly the same problems.
 */
import { createRng, shuffled } from "@ssb/distill";

export function problemsForStep<T>(problems: readonly T[], perStep: number, seed: number, step: number): T[] {
  if (problems.length === 0) throw new Error("problemsForStep: no problems");
  const n = problems.length;
  const orders = new Map<number, number[]>();
  const order = (epoch: number): number[] => {
    let o = orders.get(epoch);
    if (!o) {
      o = shuffled(
        Array.from({ length: n }, (_, i) => i),
        createRng(seed, "problem-order", epoch),
      );
      orders.set(epoch, o);
    }
    return o;
  };
  const out: T[] = [];
  for (let j = 0; j < perStep; j++) {
    const k = step * perStep + j;
    out.push(problems[order(Math.floor(k / n))[k % n] as number] as T);
  }
  return out;
}
