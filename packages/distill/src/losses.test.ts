import { beforeAll, describe, expect, it } from "vitest";
import { selectBackend } from "./backend.js";
import { kdLoss } from "./kd-loss.js";
import { crossEntropy } from "./loss-ce.js";
import { forwardKl } from "./loss-forward-kl.js";
import { jsd } from "./loss-jsd.js";
import { reverseKl } from "./loss-reverse-kl.js";
import { rowWeights } from "./reduction.js";
import { teacherTargets } from "./teacher-targets.js";
import { tf } from "./tf.js";

beforeAll(async () => {
  await selectBackend("wasm", () => {});
});

const V = 6;
const studentRows = [
  [2, 1, 0.5, -1, 0, 0.3],
  [0.1, -0.4, 3, 0.2, 0.2, -2],
];
const logits = () => tf.tensor2d(studentRows);
const value = (t: tf.Tensor): number[] => Array.from(t.dataSync());

/** float64 reference: log_softmax(x / T) */
function logSoftmax(row: number[], T: number): number[] {
  const s = row.map((x) => x / T);
  const m = Math.max(...s);
  const z = m + Math.log(s.reduce((a, x) => a + Math.exp(x - m), 0));
  return s.map((x) => x - z);
}

describe("teacher targets", () => {
  it("renormalise the top-k at T; the tail bucket keeps the outside mass (exact at T = 1)", () => {
    const lse = Math.log(Math.exp(3) + Math.exp(1) + 4 * Math.exp(0)); // k = 2 of a 6-token vocabulary
    const t1 = teacherTargets({ k: 2, topkIds: [4, 1], topkLogits: [3, 1], logSumExp: [lse] }, 1, true);
    expect(t1.probs[0]).toBeCloseTo(Math.exp(3 - lse), 6);
    expect(t1.probs[1]).toBeCloseTo(Math.exp(1 - lse), 6);
    expect(t1.tail?.[0]).toBeCloseTo((4 * Math.exp(0)) / Math.exp(lse), 6);
    const t2 = teacherTargets({ k: 2, topkIds: [4, 1], topkLogits: [3, 1] }, 2);
    expect(t2.probs[0]).toBeCloseTo(Math.exp(1.5) / (Math.exp(1.5) + Math.exp(0.5)), 6);
    expect(t2.tail).toBeNull();
  });

  it("rejects a bad temperature and mismatched rows", () => {
    expect(() => teacherTargets({ k: 2, topkIds: [1, 2], topkLogits: [1, 0] }, 0)).toThrow(/temperature/);
    expect(() => teacherTargets({ k: 2, topkIds: [1], topkLogits: [1, 0] }, 1)).toThrow(/rows of k = 2/);
  });
});

describe("divergences", () => {
  const T = 2;
  const targets = teacherTargets({ k: 3, topkIds: [0, 1, 5, 2, 3, 4], topkLogits: [2, 1, 0, 3, 1, 0.5] }, T);

  it("forward KL matches the float64 formula (student over the full vocabulary)", () => {
    const got = tf.tidy(() => value(forwardKl(logits(), targets, T)));
    studentRows.forEach((row, r) => {
      const logq = logSoftmax(row, T);
      let kl = 0;
      for (let i = 0; i < 3; i++) {
        const p = targets.probs[r * 3 + i] as number;
        kl += p * (Math.log(p) - (logq[targets.ids[r * 3 + i] as number] as number));
      }
      expect(got[r]).toBeCloseTo(kl, 5);
    });
  });

  it("are zero when the student equals the teacher on the support (k = V)", () => {
    const ids = [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5];
    const full = teacherTargets({ k: V, topkIds: ids, topkLogits: studentRows.flat() }, T);
    tf.tidy(() => {
      for (const f of [forwardKl, reverseKl, jsd])
        for (const x of value(f(logits(), full, T))) expect(Math.abs(x)).toBeLessThan(1e-6);
    });
  });

  it("with the tail bucket at T = 2, all three are zero when the student's logits are the teacher's", () => {
    // The teacher's tail at T is a pseudo-token made from its T = 1 tail mass (the tail's own logits are not
    // stored); the student's tail must be made the same way, or a student equal to the teacher is off target.
    const teacherRows = [
      [4, 2.5, 1, 0.3, -1, 0, 0.5, -2],
      [1, 3, 0.2, 2.2, -0.5, 0.1, 0, 1.5],
    ];
    const k = 3;
    const topkIds: number[] = [];
    const topkLogits: number[] = [];
    for (const row of teacherRows) {
      const top = row
        .map((_, i) => i)
        .sort((a, b) => (row[b] as number) - (row[a] as number))
        .slice(0, k);
      topkIds.push(...top);
      topkLogits.push(...top.map((i) => row[i] as number));
    }
    const logSumExp = teacherRows.map((row) => Math.log(row.reduce((a, x) => a + Math.exp(x), 0)));
    const withTail = teacherTargets({ k, topkIds, topkLogits, logSumExp }, T, true);
    tf.tidy(() => {
      for (const f of [forwardKl, reverseKl, jsd])
        for (const x of value(f(tf.tensor2d(teacherRows), withTail, T)))
          expect(Math.abs(x), f.name).toBeLessThan(1e-6);
    });
  });

  it("reverse KL and JSD are non-negative, JSD at most log 2", () => {
    tf.tidy(() => {
      for (const x of value(reverseKl(logits(), targets, T))) expect(x).toBeGreaterThanOrEqual(0);
      for (const x of value(jsd(logits(), targets, T))) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(Math.log(2) + 1e-6);
      }
    });
  });

  it("the tail bucket adds p_tail (log p_tail - log(1 - sum q_topk))", () => {
    const lse = [Math.log(30), Math.log(40)];
    const withTail = teacherTargets(
      { k: 3, topkIds: [0, 1, 5, 2, 3, 4], topkLogits: [2, 1, 0, 3, 1, 0.5], logSumExp: lse },
      1,
      true,
    );
    const got = tf.tidy(() => value(forwardKl(logits(), withTail, 1)));
    studentRows.forEach((row, r) => {
      const logq = logSoftmax(row, 1);
      let kl = 0;
      let inside = 0;
      for (let i = 0; i < 3; i++) {
        const p = withTail.probs[r * 3 + i] as number;
        const lq = logq[withTail.ids[r * 3 + i] as number] as number;
        inside += Math.exp(lq);
        kl += p * (Math.log(p) - lq);
      }
      const pt = withTail.tail?.[r] as number;
      kl += pt * (Math.log(pt) - Math.log(1 - inside));
      expect(got[r]).toBeCloseTo(kl, 5);
    });
  });
});

describe("objective", () => {
  it("T² scaling, token vs sequence mean, and the CE term", () => {
    const targets = teacherTargets({ k: 2, topkIds: [0, 1, 2, 3], topkLogits: [1, 0, 1, 0] }, 2);
    tf.tidy(() => {
      const perRow = value(forwardKl(logits(), targets, 2));
      const scaled = kdLoss(logits(), targets, null, rowWeights([2], "token"), {
        divergence: "forward-kl",
        temperature: 2,
      });
      expect(scaled.loss.dataSync()[0]).toBeCloseTo(
        (4 * ((perRow[0] as number) + (perRow[1] as number))) / 2,
        5,
      );
      const plain = kdLoss(logits(), targets, null, rowWeights([2], "token"), {
        divergence: "forward-kl",
        temperature: 2,
        scaleByTemperatureSquared: false,
      });
      expect(plain.loss.dataSync()[0]).toBeCloseTo(((perRow[0] as number) + (perRow[1] as number)) / 2, 5);
      const ce = value(crossEntropy(logits(), Int32Array.from([0, 2])));
      expect(ce[0]).toBeCloseTo(-(logSoftmax(studentRows[0] as number[], 1)[0] as number), 5);
      const both = kdLoss(logits(), targets, Int32Array.from([0, 2]), rowWeights([2], "token"), {
        divergence: "forward-kl",
        temperature: 2,
        ceWeight: 0.5,
      });
      expect(both.loss.dataSync()[0]).toBeCloseTo(
        (scaled.loss.dataSync()[0] as number) + (0.5 * ((ce[0] as number) + (ce[1] as number))) / 2,
        5,
      );
    });
  });

  it("row weights: token mean weighs every row alike, sequence mean every sequence alike", () => {
    expect(Array.from(rowWeights([1, 3], "token"))).toEqual([0.25, 0.25, 0.25, 0.25]);
    const seq = Array.from(rowWeights([1, 3], "sequence"));
    expect(seq[0]).toBeCloseTo(0.5);
    expect(seq[1]).toBeCloseTo(1 / 6);
  });
});
