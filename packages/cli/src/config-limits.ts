/**
 * Upper bounds of the config's counts. Each is far above any run this pipeline is meant for and well below
 * what exhausts memory before the first result: `problems.train: 1e8` once drew problems for minutes until the
 * heap ran out. Bounds that depend on the model (its context, its vocabulary) or on the problem files are
 * checked when the run starts (run-checks.ts).
 */
export const LIMITS = {
  /**
   * Problems the generator draws in one run (pre-training split + held-out split + train problems): about
   * 1.5 KB each in memory (with their solutions and wrong variants), 42 s per million on a 2-core CPU.
   */
  generatedProblems: 1_000_000,
  /** Steps of one generated problem (a sentence each: 100 steps outgrow any small model's context). */
  steps: 100,
  /** Largest start amount / operand of a generated problem. */
  operand: 1_000_000,
  /** Samples per problem (the paper's K is 4; pass@k evaluations rarely go past a few hundred). */
  samples: 1024,
  /**
   * (problem, sample) pairs of one rollout or eval job: @ssb/rollout's MAX_JOB_PAIRS, whose work list holds
   * every pair up front (16.7M replies are months of decoding).
   */
  jobPairs: 2 ** 24,
  /** New tokens per reply; the model's own context (max_position_embeddings) is checked at run start. */
  maxNewTokens: 2 ** 20,
  /** Sequences decoded (or prompts sent) together. */
  batchSize: 65_536,
  /** Top-k logits stored per teacher token (@ssb/rollout's capture limit); the vocabulary is checked at start. */
  logitK: 65_536,
  /** Teacher tries per problem: each is a full reply; past a few, a problem the teacher misses stays missed. */
  maxAttempts: 100,
  /** ONNX Runtime intra-op threads. */
  threads: 1024,
} as const;
