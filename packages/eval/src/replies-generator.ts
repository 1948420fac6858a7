/**
 * A generator over replies produced elsewhere (another engine, an API, an earlier run): a JSONL file with
 * `problemId`, `sampleIndex`, `text`, and optionally `tokens`, `finishReason` and `benchmark`. Lets eval grade and
 * report generations it did not make, with the same records, metrics and reports.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { stripBom } from "@ssb/durable-files";
import type { GeneratedSample, GenerationRequest, SampleGenerator } from "./generator.js";

interface Reply {
  text: string;
  tokens: number;
  finishReason: "stop" | "length";
}

export function loadRepliesGenerator(path: string, options: { modelId?: string } = {}): SampleGenerator {
  const replies = new Map<string, Reply>();
  const bytes = readFileSync(path);
  const lines = stripBom(bytes.toString("utf8")).split("\n");
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const where = `${path}:${i + 1}`;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch (error) {
      throw new Error(`${where}: not valid JSON (${(error as Error).message})`);
    }
    if (typeof o.problemId !== "string" && typeof o.problemId !== "number")
      throw new Error(`${where}: field "problemId" must be a string`);
    if (typeof o.sampleIndex !== "number" || !Number.isInteger(o.sampleIndex))
      throw new Error(`${where}: field "sampleIndex" must be an integer`);
    if (typeof o.text !== "string") throw new Error(`${where}: field "text" must be a string`);
    const finishReason = o.finishReason ?? "stop";
    if (finishReason !== "stop" && finishReason !== "length")
      throw new Error(`${where}: field "finishReason" must be "stop" or "length"`);
    // Without a token count, whitespace-separated words stand in (documented in the README).
    const tokens = typeof o.tokens === "number" ? o.tokens : o.text.split(/\s+/).filter(Boolean).length;
    const bench = typeof o.benchmark === "string" ? o.benchmark : "";
    const key = `${bench}\u0000${o.problemId}\u0000${o.sampleIndex}`;
    if (replies.has(key)) {
      throw new Error(
        `${where}: a second reply for problem "${o.problemId}" sample ${o.sampleIndex}${bench ? ` of ${bench}` : ""}`,
      );
    }
    replies.set(key, { text: o.text, tokens, finishReason });
  });
  // A line with a benchmark field answers only that benchmark; a line without one answers any benchmark.
  const find = (benchmark: string, problemId: string, index: number): Reply | undefined =>
    replies.get(`${benchmark}\u0000${problemId}\u0000${index}`) ??
    replies.get(`\u0000${problemId}\u0000${index}`);
  return {
    modelId: options.modelId ?? `replies:${path}`,
    // The file's content, recorded in run.json: a rerun after the file was edited must not keep grading the
    // old replies already in records.jsonl as if they were the new ones.
    fingerprint: `sha256:${createHash("sha256").update(bytes).digest("hex")}`,
    fingerprintOf: `the replies file ${path}`,
    async *generate(request: GenerationRequest): AsyncIterable<GeneratedSample> {
      for (const prompt of request.prompts) {
        for (const sampleIndex of prompt.sampleIndices) {
          const r = find(request.benchmark, prompt.problemId, sampleIndex);
          if (r === undefined)
            throw new Error(`${path}: no reply for problem "${prompt.problemId}" sample ${sampleIndex}`);
          yield { problemId: prompt.problemId, sampleIndex, ...r };
        }
      }
    },
  };
}
