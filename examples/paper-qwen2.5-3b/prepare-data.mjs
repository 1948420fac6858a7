#!/usr/bin/env node
// Writes the paper setup's problem files ({id, question, answer} JSONL, what `ssb run` reads) from the
// benchmark copies in the repository's data/ folder: GSM8K train (gold = the number after "####") for SSB
// training, MATH500 for evaluation. Usage: node examples/paper-qwen2.5-3b/prepare-data.mjs [out-dir]
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "..", "..");
const outDir = path.resolve(process.argv[2] ?? path.join(here, "data"));

function readJsonl(file) {
  return readFileSync(file, "utf8")
    .split("\n")
    .map((line, i) => [line, i + 1])
    .filter(([line]) => line.trim() !== "")
    .map(([line, n]) => {
      try {
        return JSON.parse(line);
      } catch (e) {
        throw new Error(`${file}:${n}: not valid JSON (${e.message})`);
      }
    });
}

const gsm8k = readJsonl(path.join(repo, "data", "gsm8k", "train.jsonl")).map((r, i) => {
  const gold = String(r.answer).split("####").pop().trim().replace(/,/g, "");
  if (gold === "") throw new Error(`data/gsm8k/train.jsonl:${i + 1}: no "####" final answer`);
  return { id: `gsm8k-train-${i}`, question: r.question, answer: gold };
});
const math500 = readJsonl(path.join(repo, "data", "math500", "test.jsonl")).map((r) => ({
  id: r.unique_id,
  question: r.problem,
  answer: r.answer,
}));

mkdirSync(outDir, { recursive: true });
const write = (name, rows) => {
  writeFileSync(path.join(outDir, name), rows.map((r) => `${JSON.stringify(r)}\n`).join(""));
  process.stdout.write(`${path.join(outDir, name)}: ${rows.length} problems\n`);
};
write("gsm8k-train.jsonl", gsm8k);
write("math500.jsonl", math500);
