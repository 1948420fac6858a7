/**
 * The runs of src/trl-training.test.ts against the numbers TRL 1.13's GRPOTrainer gave for them (recorded
 * 2026-11-29 by that test: torch 2.13.0+cpu, transformers 5.17.0, PEFT 0.21.0, TRL 1.13.0, float64), so CI,
 * which has no python, still checks several rounds of training against TRL: per round the gradient norm, loss,
 * KL, clip fraction and learning rate, and three fingerprints of all the LoRA weights. Each round's completions
 * are checked first (by digest): the recorded numbers hold for those completions only. Without
 * klBiasCorrection the second case fails at round 2's LoRA weights.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkpointDirName } from "@ssb/distill";
import { loadAdapter } from "@ssb/model";
import { afterAll, describe, expect, it } from "vitest";
import { CASES, type Completion, ROUNDS, runTrainingCase } from "../test/trl-training-cases.js";

interface RecordedRound {
  gradNorm: number;
  /** TRL's two logged losses of the round, averaged. */
  loss: number;
  kl: number | null;
  clipFraction: number;
  lr: number;
  /** Over every LoRA tensor, PEFT keys sorted, each flattened row-major: L2 norm, sum, sum of w_i ((i mod 7) - 3). */
  loraNorm: number;
  loraSum: number;
  loraProbe: number;
}
/** TRL's numbers, in CASES' order; `completions`: per round, the digest of its prompt and completion ids. */
const RECORDED: { completions: string[]; rounds: RecordedRound[] }[] = [
  {
    completions: ["cd1f2f905d4417e0", "849714b5718d1666", "33fff7dfd17e6052"],
    rounds: [
      {
        gradNorm: 0.21397815034846407,
        loss: 1.862645149230957e-8,
        kl: null,
        clipFraction: 0,
        lr: 0,
        loraNorm: 3.4189523552229093,
        loraSum: 0.9507937401831386,
        loraProbe: -3.728868952172872,
      },
      {
        gradNorm: 0.35608607394234737,
        loss: -0.004160440992563963,
        kl: null,
        clipFraction: 0.0729166641831398,
        lr: 0.05,
        loraNorm: 5.3233623662134715,
        loraSum: 1.8304205970167893,
        loraProbe: -16.399330584680424,
      },
      {
        gradNorm: 0.3220099222361944,
        loss: -0.018375100567936897,
        kl: null,
        clipFraction: 0.010416666977107525,
        lr: 0.025,
        loraNorm: 6.105052985473824,
        loraSum: 0.8729558589127588,
        loraProbe: -18.558717967052996,
      },
    ],
  },
  {
    completions: ["cd1f2f905d4417e0", "e3921d6f9d687516", "e00a9be920d2c9b9"],
    rounds: [
      {
        gradNorm: 0.08859970262043625,
        loss: 9.313225746154785e-9,
        kl: 0,
        clipFraction: 0,
        lr: 0,
        loraNorm: 3.865064417815205,
        loraSum: 0.8351469478622777,
        loraProbe: -3.2468971567272793,
      },
      {
        gradNorm: 0.13225352823599026,
        loss: -0.0043614585301838815,
        kl: 0.025877767842924435,
        clipFraction: 0.1145833320915699,
        lr: 0.05,
        loraNorm: 6.145784345321623,
        loraSum: -5.383573492295428,
        loraProbe: -6.663854274373898,
      },
      {
        gradNorm: 0.053828926156799885,
        loss: -0.0036284105153754354,
        kl: 0.029634103241101478,
        clipFraction: 0,
        lr: 0.05,
        loraNorm: 8.459139534460368,
        loraSum: -4.897128730761699,
        loraProbe: -13.225999849898805,
      },
    ],
  },
];

const dir = mkdtempSync(path.join(tmpdir(), "grpo-trl-recorded-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The recorded fingerprints of an adapter folder (see RecordedRound). */
async function fingerprint(adapterDir: string): Promise<[number, number, number]> {
  const adapter = await loadAdapter(adapterDir);
  const tensors = new Map<string, Float32Array>();
  for (const [modulePath, w] of adapter.modules) {
    tensors.set(`${modulePath}.lora_A.weight`, w.a.data);
    tensors.set(`${modulePath}.lora_B.weight`, w.b.data);
  }
  let squares = 0;
  let sum = 0;
  let probe = 0;
  let i = 0;
  for (const key of [...tensors.keys()].sort()) {
    for (const x of tensors.get(key) as Float32Array) {
      squares += x * x;
      sum += x;
      probe += x * ((i % 7) - 3);
      i++;
    }
  }
  return [Math.sqrt(squares), sum, probe];
}

describe("several rounds against TRL 1.13's GRPOTrainer (its recorded numbers)", () => {
  it.each(CASES.map((c, i) => [c.name, i] as const))("%s", async (_, i) => {
    const c = CASES[i] as (typeof CASES)[number];
    const recorded = RECORDED[i] as (typeof RECORDED)[number];
    const rounds: Completion[][] = [];
    const outDir = path.join(dir, `run-${i}`);
    const result = await runTrainingCase(c, outDir, rounds);
    for (let r = 0; r < ROUNDS; r++) {
      const m = result.metrics[r];
      const t = recorded.rounds[r] as RecordedRound;
      const where = `round ${r + 1}`;
      // Round r's completions come from the policy after round r - 1, whose numbers were checked just before.
      const round = rounds[r] ?? [];
      const digest = createHash("sha256")
        .update(JSON.stringify([round.map((x) => x.promptIds), round.map((x) => x.tokenIds)]))
        .digest("hex")
        .slice(0, 16);
      expect(
        digest,
        `${where}: runGrpo sampled other completions than those the numbers were recorded for`,
      ).toBe(recorded.completions[r]);
      expect(m, where).toBeDefined();
      if (!m) continue;
      // Bounds: a few times what the python-backed test sees (ours float32 on wasm, TRL float64).
      expect(Math.abs(m.gradNorm - t.gradNorm), `${where}: grad_norm`).toBeLessThan(1e-5);
      expect(Math.abs(m.loss - t.loss), `${where}: loss`).toBeLessThan(1e-6);
      expect(Math.abs(m.clipFraction - t.clipFraction), `${where}: clip_ratio/region_mean`).toBeLessThan(
        1e-6,
      );
      expect(m.lr, `${where}: learning_rate`).toBe(t.lr);
      if (t.kl === null) expect(m.kl, `${where}: kl`).toBeNull();
      else expect(Math.abs((m.kl as number) - t.kl), `${where}: kl`).toBeLessThan(1e-6);
      const [norm, sum, probe] = await fingerprint(
        path.join(outDir, "checkpoints", checkpointDirName(r + 1), "adapter"),
      );
      expect(Math.abs(norm - t.loraNorm), `${where}: LoRA norm`).toBeLessThan(1e-4);
      expect(Math.abs(sum - t.loraSum), `${where}: LoRA sum`).toBeLessThan(2e-3);
      expect(Math.abs(probe - t.loraProbe), `${where}: LoRA probe`).toBeLessThan(2e-3);
      if (process.env.SSB_REPORT)
        console.log(
          where,
          m.gradNorm - t.gradNorm,
          m.loss - t.loss,
          norm - t.loraNorm,
          sum - t.loraSum,
          probe - t.loraProbe,
        );
    }
  });
});
