/**
 * A generator over replies produced elsewhere (another engine, an API, an earlier run): a JSONL file with
 * `problemId`, `sampleIndex`, `text`, and optionally `tokens` (else `tokenIds`' length, else words), `finishReason`
 * and `benchmark`. Lets eval grade and
 * report generations it did not make, with the same records, metrics and reports.
 */
import { createHash, type Hash } from "node:crypto";
import { closestKey } from "@ssb/cli-kit";
import { parseJsonlLine, textFileLines } from "@ssb/durable-files";
import type { BenchmarkNeeds, GeneratedSample, GenerationRequest, SampleGenerator } from "./generator.js";

interface Reply {
  text: string;
  tokens: number;
  finishReason: "stop" | "length";
}

type HasReply = (benchmark: string, problemId: string, index: number) => boolean;

/**
 * Why the replies cannot serve the run, or null when they hold every (problem, sample) it needs: how many are
 * missing, the first one, and, when the replies cover a leading part of each benchmark (the user forgot
 * `--limit`) or fewer samples per problem (forgot `--n`), the setting that matches them.
 */
export function repliesCoverageError(
  path: string,
  needs: readonly BenchmarkNeeds[],
  n: number,
  has: HasReply,
): string | null {
  let total = 0;
  let missing = 0;
  let first: string | undefined;
  // Benchmarks the replies answer nothing of (the default list of three, when the replies are for one).
  const unanswered: string[] = [];
  const answered: string[] = [];
  // Per answered benchmark with missing samples: its fully answered leading problems, when none after them is.
  const prefixes: { benchmark: string; covered: number }[] = [];
  let prefixOnly = true;
  // Replies per problem of the answered benchmarks, when each problem's are samples 0..count-1.
  const counts = new Set<number>();
  let contiguous = true;
  for (const { benchmark, problemIds } of needs) {
    let covered = 0;
    let gap = false;
    let answeredAfterGap = false;
    const problemCounts: number[] = [];
    for (const id of problemIds) {
      let count = 0;
      for (let i = 0; i < n; i++) {
        total++;
        if (has(benchmark, id, i)) {
          if (count < i) contiguous = false;
          count++;
        } else {
          missing++;
          first ??= `${benchmark} problem "${id}" sample ${i}`;
        }
      }
      problemCounts.push(count);
      if (count === n && !gap) covered++;
      else gap = true;
      if (gap && count > 0) answeredAfterGap = true;
    }
    if (problemCounts.every((c) => c === 0)) {
      unanswered.push(benchmark);
      continue;
    }
    answered.push(benchmark);
    for (const c of problemCounts) counts.add(c);
    if (covered < problemIds.length) {
      prefixes.push({ benchmark, covered });
      if (covered === 0 || answeredAfterGap) prefixOnly = false;
    }
  }
  if (missing === 0) return null;
  const hints: string[] = [];
  if (unanswered.length > 0 && answered.length > 0)
    hints.push(
      `they answer nothing of ${unanswered.join(", ")}: --benchmarks ${answered.join(",")} runs the others`,
    );
  if (prefixOnly && prefixes.length === 1 && prefixes[0] !== undefined) {
    const { benchmark, covered } = prefixes[0];
    hints.push(
      `they cover only the first ${covered} problem${covered === 1 ? "" : "s"} of ${benchmark}: --limit ${covered} runs those`,
    );
  } else if (prefixOnly && prefixes.length > 1) {
    const limit = Math.min(...prefixes.map((p) => p.covered));
    const parts = prefixes.map((p) => `${p.covered} problems of ${p.benchmark}`).join(", ");
    hints.push(
      `they cover only the first ${parts}: --limit ${limit} runs the first ${limit} problems of each benchmark`,
    );
  } else if (contiguous && counts.size === 1) {
    const [perProblem = 0] = counts;
    // Only fewer than the run's n: with all n per problem the missing samples are other benchmarks' (said above),
    // and "--n 1 runs those" was printed to a run of --n 1.
    if (perProblem > 0 && perProblem < n)
      hints.push(
        `they hold ${perProblem} sample${perProblem === 1 ? "" : "s"} per problem: --n ${perProblem} runs those`,
      );
  }
  const hint = hints.map((h) => `; ${h}`).join("");
  return `${path}: no reply for ${missing} of the ${total} samples this run needs (the first: ${first})${hint}`;
}

/**
 * The replies of the file at `path`, keyed by benchmark, problem id and sample index; `hash` sees its bytes.
 * Read line by line (a file past V8's 512 MiB string limit too), each line as @ssb/durable-files reads input
 * lines: a byte-order mark on any line skipped, a UTF-16 file, a JSON array or pretty-printed file, a line
 * that is not an object and Python's NaN named, and a problemId past 2^53 (JSON.parse would round it, and
 * the reply would answer another problem) refused, to be written as a string.
 */
function readReplies(path: string, hash: Hash, benchmarkLines: Map<string, number>): Map<string, Reply> {
  const replies = new Map<string, Reply>();
  const lines = textFileLines(path, (bytes) => hash.update(bytes)); // opens the file on the first next()
  while (true) {
    let next: IteratorResult<{ text: string; line: number }>;
    try {
      next = lines.next();
    } catch (error) {
      throw new Error(`${path}: cannot read the replies (${(error as Error).message})`);
    }
    if (next.done) return replies;
    const { text, line } = next.value;
    if (text.trim() === "") continue;
    const where = `${path}:${line}`;
    const o = parseJsonlLine(text, path, line, { exactFields: ["problemId"] }) as Record<string, unknown>;
    if (typeof o.problemId !== "string" && typeof o.problemId !== "number")
      throw new Error(`${where}: field "problemId" must be a string`);
    if (typeof o.sampleIndex !== "number" || !Number.isInteger(o.sampleIndex))
      throw new Error(`${where}: field "sampleIndex" must be an integer`);
    if (typeof o.text !== "string") throw new Error(`${where}: field "text" must be a string`);
    const finishReason = o.finishReason ?? "stop";
    if (finishReason !== "stop" && finishReason !== "length")
      throw new Error(`${where}: field "finishReason" must be "stop" or "length"`);
    // Without a token count, whitespace-separated words stand in (documented in the README).
    // A count given must be one: 1e400 (read as Infinity), -3 or "12" went into the records and broke or skewed
    // the length statistics.
    if (o.tokens !== undefined && o.tokens !== null) {
      if (typeof o.tokens !== "number" || !Number.isFinite(o.tokens) || o.tokens < 0)
        throw new Error(
          `${where}: field "tokens" must be a non-negative finite number (got ${typeof o.tokens === "number" ? String(o.tokens) : JSON.stringify(o.tokens)})`,
        );
    }
    // ssb-rollout's records carry the sampled ids (`tokenIds`, end-of-turn included, as eval counts `tokens`)
    // and no count: words stood in for them, and a 70-token reply was recorded as its 40 words.
    const ids = o.tokenIds;
    const tokens =
      typeof o.tokens === "number"
        ? o.tokens
        : Array.isArray(ids) && ids.every((t) => Number.isInteger(t))
          ? ids.length
          : o.text.split(/\s+/).filter(Boolean).length;
    const bench = typeof o.benchmark === "string" ? o.benchmark : "";
    if (bench !== "" && !benchmarkLines.has(bench)) benchmarkLines.set(bench, line);
    const key = `${bench}\u0000${o.problemId}\u0000${o.sampleIndex}`;
    if (replies.has(key)) {
      throw new Error(
        `${where}: a second reply for problem "${o.problemId}" sample ${o.sampleIndex}${bench ? ` of ${bench}` : ""}`,
      );
    }
    replies.set(key, { text: o.text, tokens, finishReason });
  }
}

/**
 * Replies numbered by line ("1", "2", ...: ssb-rollout's names for a problems file without "id") for a benchmark
 * whose problems have ids of their own (MATH500's "test/precalculus/807.json"): nothing matches, and the error
 * said only "no reply for 500 of the 500 samples". Empty when the replies hold no such numbers.
 */
function numberedRepliesHint(
  missing: readonly { benchmark: string; problemId: string; index: number }[],
  has: HasReply,
): string {
  const named = missing.find(
    ({ benchmark, problemId }) => !/^(line-)?\d+$/.test(problemId) && has(benchmark, "1", 0),
  );
  if (named === undefined) return "";
  // The shipped MATH500 file keeps its ids in "unique_id" and its question in "problem".
  const jq =
    named.benchmark === "math500"
      ? ` (jq -c '{id: .unique_id, question: .problem}' math500/test.jsonl > NEW)`
      : "";
  return (
    `; the replies name problems by line number ("1", as ssb-rollout numbers a problems file without "id"), ` +
    `where ${named.benchmark}'s problems go by their ids ("${named.problemId}"): sample from a problems file ` +
    `that gives each problem its id as "id"${jq}`
  );
}

/**
 * ssb-eval names a problem of a file without ids `line-N`, ssb-rollout, ssb-curate and ssb-grpo name it `N`:
 * the rollouts of an id-less custom benchmark match none of its problems. The names stay as they are (runs
 * and replies files already hold them, and resume matches by them); when the replies hold the bare numbers
 * of the missing problems, the error says so and how to rewrite them. Empty when they do not.
 */
export function lineIdsHint(
  missing: readonly { benchmark: string; problemId: string; index: number }[],
  has: HasReply,
): string {
  const bare = missing.find(({ benchmark, problemId, index }) => {
    const n = /^line-(\d+)$/.exec(problemId)?.[1];
    return n !== undefined && has(benchmark, n, index);
  });
  if (bare === undefined) return numberedRepliesHint(missing, has);
  const n = bare.problemId.slice("line-".length);
  return (
    `; the replies name problems by line number alone ("${n}", as ssb-rollout numbers a file without ids), ` +
    `where ssb-eval names a benchmark's id-less problems "line-N" ("${bare.problemId}"): rewrite their ids ` +
    `with jq -c '.problemId |= "line-\\(.)"' FILE > NEW`
  );
}

/**
 * Benchmarks named by the replies' `benchmark` fields that the run does not have (`MATH500` or `math` for
 * math500), each with the first line naming it and the run's benchmark it most likely meant: their lines answer
 * nothing, and the error said only "no reply for 500 of the 500 samples". Empty when every name is the run's.
 */
export function foreignBenchmarksHint(
  path: string,
  benchmarkLines: ReadonlyMap<string, number>,
  runBenchmarks: readonly string[],
): string {
  const foreign = [...benchmarkLines].filter(([name]) => !runBenchmarks.includes(name));
  if (foreign.length === 0) return "";
  const shown = foreign.slice(0, 3).map(([name, line]) => {
    const near = closestKey(name, runBenchmarks);
    return `${path}:${line} names benchmark "${name}"${near === undefined ? "" : ` (did you mean "${near}"?)`}`;
  });
  const more = foreign.length > 3 ? ` and ${foreign.length - 3} more` : "";
  return `; ${shown.join(", ")}${more}, which this run does not have (its benchmarks: ${runBenchmarks.join(", ")}): a reply answers only the benchmark its "benchmark" field names (a line without the field answers any)`;
}

export function loadRepliesGenerator(path: string, options: { modelId?: string } = {}): SampleGenerator {
  const hash = createHash("sha256");
  // Each benchmark name the replies give, with the first line giving it (for foreignBenchmarksHint).
  const benchmarkLines = new Map<string, number>();
  const replies = readReplies(path, hash, benchmarkLines);
  const fingerprint = `sha256:${hash.digest("hex")}`;
  // A line with a benchmark field answers only that benchmark; a line without one answers any benchmark.
  const find = (benchmark: string, problemId: string, index: number): Reply | undefined =>
    replies.get(`${benchmark}\u0000${problemId}\u0000${index}`) ??
    replies.get(`\u0000${problemId}\u0000${index}`);
  return {
    modelId: options.modelId ?? `replies:${path}`,
    // Replies are read, not sampled: temperature, top-p and the like do not apply to them.
    samples: false,
    checkCoverage(needs, n) {
      const has: HasReply = (b, id, i) => find(b, id, i) !== undefined;
      const error = repliesCoverageError(path, needs, n, has);
      if (error === null) return;
      const missing = needs.flatMap(({ benchmark, problemIds }) =>
        problemIds.flatMap((problemId) =>
          Array.from({ length: n }, (_, index) => ({ benchmark, problemId, index })).filter(
            ({ index }) => !has(benchmark, problemId, index),
          ),
        ),
      );
      const runBenchmarks = needs.map((b) => b.benchmark);
      throw new Error(
        `${error}${foreignBenchmarksHint(path, benchmarkLines, runBenchmarks)}${lineIdsHint(missing, has)}`,
      );
    },
    // The file's content, recorded in run.json: a rerun after the file was edited must not keep grading the
    // old replies already in records.jsonl as if they were the new ones.
    fingerprint,
    fingerprintOf: `the replies file ${path}`,
    async *generate(request: GenerationRequest): AsyncIterable<GeneratedSample> {
      for (const prompt of request.prompts) {
        for (const sampleIndex of prompt.sampleIndices) {
          const r = find(request.benchmark, prompt.problemId, sampleIndex);
          if (r === undefined) {
            const missing = [
              { benchmark: request.benchmark, problemId: prompt.problemId, index: sampleIndex },
            ];
            const hint = lineIdsHint(missing, (b, id, i) => find(b, id, i) !== undefined);
            throw new Error(
              `${path}: no reply for problem "${prompt.problemId}" sample ${sampleIndex}${hint}`,
            );
          }
          yield { problemId: prompt.problemId, sampleIndex, ...r };
        }
      }
    },
  };
}
