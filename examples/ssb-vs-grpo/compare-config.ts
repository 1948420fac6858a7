/**
 * The comparison's config: what is shared by both methods (seed, model, problems, evaluation) at the top, and
 * each method's own settings in its section. The `ssb` section is an `ssb run` config without the shared
 * fields and is validated by @ssb/cli; the `grpo` section is a GrpoConfig validated by @ssb/grpo. Unknown
 * fields and wrong types are errors naming the file and the field.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { type PipelineConfig, resolveConfig } from "@ssb/cli";
import { type GrpoConfig, type GrpoConfigInput, resolveGrpoConfig } from "@ssb/grpo";
import { parseDocument } from "yaml";
import { type ZodError, z } from "zod";

const positiveInt = z.number().int().min(1);

const difficultySchema = z
  .object({
    minSteps: positiveInt,
    maxSteps: positiveInt,
    maxStart: positiveInt,
    maxOperand: positiveInt,
  })
  .partial()
  .strict();

export const compareSchema = z
  .object({
    /** Seed of the problem draw, both trainers and the evaluation's sampling streams. */
    seed: z.number().int(),
    /** HF checkpoint folder, or "default" for the embedded model (@ssb/default-model). */
    model: z.string().min(1),
    /** Output folder (relative to the current directory); `--out` overrides it. */
    workDir: z.string().min(1),
    problems: z
      .object({
        /** Training problems, the same for both methods. */
        train: positiveInt,
        /** Held-out problems every arm is evaluated on (the first N of evalFile). */
        eval: positiveInt,
        /** JSONL {id, question, answer}; default: fresh word problems disjoint from the model's own splits. */
        trainFile: z.string().min(1).optional(),
        /** JSONL {id, question, answer}; default: the model's held-out.jsonl. */
        evalFile: z.string().min(1).optional(),
        /** Overrides of the generator's difficulty for the fresh training draw (e.g. easier for a test). */
        difficulty: difficultySchema.optional(),
      })
      .strict(),
    /** One evaluation protocol for base, SSB and GRPO: same problems, samples, sampler settings and seed. */
    eval: z
      .object({
        samples: positiveInt,
        temperature: z.number().min(0),
        topK: z.number().int().min(0),
        topP: z.number().gt(0).max(1),
        maxNewTokens: positiveInt,
        batchSize: positiveInt,
      })
      .strict(),
    /** `ssb run` settings (onnxVariant, threads, rollout, curation, distill), checked by @ssb/cli. */
    ssb: z.record(z.unknown()),
    /** @ssb/grpo GrpoConfig fields, checked by @ssb/grpo. `seed` defaults to the top-level seed. */
    grpo: z.record(z.unknown()),
  })
  .strict();

export type CompareConfig = z.infer<typeof compareSchema>;

/**
 * Defaults sized for ~20–30 minutes on a 2-core CPU with the embedded default model (estimated from a scaled
 * run: ~13 s per GRPO round, ~15 rollouts/s, ~29 eval samples/s at n = 4; about 17 minutes on an idle machine),
 * and a matched training-time generation budget: SSB samples K = 4 rollouts for each of the 1,200 problems
 * (4,800 completions); GRPO samples 30 rounds x 10 problems x G = 16 (4,800 completions) from the same 1,200,
 * with the same sampler settings (T = 0.8, top-k 50, 160 new tokens).
 */
export const DEFAULT_COMPARE_CONFIG: CompareConfig = {
  seed: 20261127,
  model: "default",
  workDir: "ssb-vs-grpo-run",
  problems: { train: 1200, eval: 500 },
  eval: { samples: 4, temperature: 0.7, topK: 20, topP: 0.8, maxNewTokens: 160, batchSize: 32 },
  ssb: {},
  grpo: {
    steps: 30,
    problemsPerStep: 10,
    groupSize: 16,
    sampling: { temperature: 0.8, topK: 50, topP: 1, maxNewTokens: 160 },
    // The rate of the hand-run comparison in the README; GRPO's 2e-4 default barely moves a 0.9M model in a few dozen rounds.
    optimizer: { lr: 1e-3 },
  },
};

/** Fields the comparison sets for both methods; an `ssb` section must not set them again. */
const SHARED_FIELDS = ["seed", "model", "workDir", "problems", "eval"] as const;

export class CompareConfigError extends Error {}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `override` over `base`, objects field by field (arrays and scalars replace). */
export function mergeDeep(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = mergeDeep(base[key], value);
  return out;
}

function describeZodError(error: ZodError, where: string): string {
  const lines = error.issues.map((issue) => {
    const field = issue.path.join(".");
    if (issue.code === "unrecognized_keys") {
      return `unknown field ${issue.keys.map((k) => `"${field ? `${field}.${k}` : k}"`).join(", ")}`;
    }
    return `field "${field}": ${issue.message}`;
  });
  return `${where}: ${lines.join("; ")}`;
}

/** Everything a run needs, checked: the comparison config, the SSB pipeline config and the GRPO config. */
export interface ResolvedComparison {
  config: CompareConfig;
  /** The `ssb run` config (problems point at the comparison's files once they are drawn). */
  ssb: PipelineConfig;
  grpo: GrpoConfig;
}

/**
 * The `ssb run` config for the comparison: the `ssb` section over @ssb/cli's default, with the shared fields
 * set from the comparison (the problem files and the evaluation protocol are the comparison's).
 */
export function ssbPipelineConfig(
  config: CompareConfig,
  files: { train: string; eval: string },
  where: string,
): PipelineConfig {
  const e = config.eval;
  return resolveConfig(
    {
      ...config.ssb,
      seed: config.seed,
      model: config.model,
      problems: {
        train: config.problems.train,
        eval: config.problems.eval,
        trainFile: path.resolve(files.train),
        evalFile: path.resolve(files.eval),
      },
      eval: e,
    },
    `${where}: section "ssb"`,
  );
}

/** Validate a parsed config (merged over the defaults); `where` names the source in errors. */
export function resolveCompareConfig(partial: unknown, where = "config"): ResolvedComparison {
  if (partial !== undefined && partial !== null && !isPlainObject(partial)) {
    throw new CompareConfigError(`${where}: expected a mapping of settings at the top level`);
  }
  const merged = mergeDeep(DEFAULT_COMPARE_CONFIG, partial ?? {});
  const parsed = compareSchema.safeParse(merged);
  if (!parsed.success) throw new CompareConfigError(describeZodError(parsed.error, where));
  const config = parsed.data;
  for (const field of SHARED_FIELDS) {
    if (field in config.ssb) {
      throw new CompareConfigError(
        `${where}: field "ssb.${field}": set "${field}" at the top level (it is shared by both methods)`,
      );
    }
  }
  if (config.problems.difficulty && config.problems.trainFile) {
    throw new CompareConfigError(
      `${where}: field "problems.difficulty" applies to generated problems only, not to problems.trainFile`,
    );
  }
  // Validate the ssb section now (with placeholder files), so a bad field fails before anything runs.
  try {
    ssbPipelineConfig(config, { train: "train.jsonl", eval: "eval.jsonl" }, where);
  } catch (e) {
    throw new CompareConfigError(e instanceof Error ? e.message : String(e));
  }
  let grpo: GrpoConfig;
  try {
    grpo = resolveGrpoConfig({ seed: config.seed, ...(config.grpo as GrpoConfigInput) });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new CompareConfigError(`${where}: section "grpo": ${message.replace(/^GRPO config: /, "")}`);
  }
  return { config, ssb: ssbPipelineConfig(config, { train: "-", eval: "-" }, where), grpo };
}

function parseText(text: string, file: string): unknown {
  if (file.endsWith(".json")) {
    try {
      return JSON.parse(text);
    } catch (e) {
      throw new CompareConfigError(`${file}: not valid JSON (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  const doc = parseDocument(text, { prettyErrors: true });
  const first = doc.errors[0];
  if (first) {
    const at = first.linePos?.[0];
    throw new CompareConfigError(
      `${file}${at ? `:${at.line}:${at.col}` : ""}: not valid YAML (${first.message.split("\n")[0]})`,
    );
  }
  return doc.toJS();
}

/**
 * Load a JSON or YAML config (or the defaults when `file` is undefined). Relative problem files and a relative
 * model folder resolve against the config file's folder.
 */
export function loadCompareConfig(file?: string): ResolvedComparison & { file: string | null } {
  if (file === undefined) return { ...resolveCompareConfig({}, "default config"), file: null };
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new CompareConfigError(`${file}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
  const resolved = resolveCompareConfig(parseText(text, file), file);
  const dir = path.dirname(path.resolve(file));
  const p = resolved.config.problems;
  if (p.trainFile) p.trainFile = path.resolve(dir, p.trainFile);
  if (p.evalFile) p.evalFile = path.resolve(dir, p.evalFile);
  if (resolved.config.model !== "default") resolved.config.model = path.resolve(dir, resolved.config.model);
  return { ...resolved, file };
}
