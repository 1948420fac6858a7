/**
 * From @ssb/curation's pairs.jsonl + @ssb/logit-store's top-k rows to training examples. The student sees the
 * bare question: `chat` renders the student messages with the chat template and the generation prompt (as at
 * inference); `raw` is the reference code's plain `system + " " + question` text. The reply is the teacher's
 * own sampled ids (never re-tokenised), and every reply row must have a logit row with the same target id.
 */
import { statSync } from "node:fs";
import { parseJsonlLine, textFileLines } from "@ssb/durable-files";
import { type LogitStore, topkLogitsAsFloat32 } from "@ssb/logit-store";
import type { ChatMessage, ChatTemplateKwargs, ModelTokenizer } from "@ssb/model";
import { exampleFromPromptAndReply, type TeacherRows, type TrainingExample } from "./training-example.js";

export type PromptMode = "chat" | "raw";

/** The fields of a pair record the student needs. */
export interface PairRecord {
  problemId: string;
  studentMessages: ChatMessage[];
  responseTokenIds: number[];
  logitKey: string | null;
}

/** Other JSONL shapes accepted for SFT: plain text (CE on every token) or explicit prompt / response ids. */
export type SftRecord =
  | { text: string }
  | { promptTokenIds: number[]; responseTokenIds: number[]; id?: string };

function fail(file: string, line: number, field: string, message: string): never {
  throw new Error(`${file}:${line}: field "${field}" ${message}`);
}

function idList(value: unknown, file: string, line: number, field: string): number[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== "number" || !Number.isInteger(v) || v < 0)) {
    fail(file, line, field, "must be a list of non-negative integer token ids");
  }
  return value as number[];
}

/**
 * Refuse a token id outside the model's vocabulary [0, vocabSize), naming the record and the field: training
 * would otherwise take a target's one-hot row of an unknown id as all zeros (loss 0, nothing learnt), or stop
 * mid-run on a prompt id without saying which record held it. `role` says whether the ids are the prompt's or
 * the targets'; no vocabSize (a caller without a model) checks nothing.
 */
function checkVocab(
  ids: ArrayLike<number>,
  vocabSize: number | undefined,
  place: {
    file: string;
    line: number;
    field: string;
    role: "prompt" | "target" | "prompt and target" | "teacher top-k";
  },
): void {
  if (vocabSize === undefined) return;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as number;
    if (!(id >= 0 && id < vocabSize)) {
      fail(
        place.file,
        place.line,
        place.field,
        `(${place.role}) holds token id ${id} at index ${i}, outside the model's vocabulary [0, ${vocabSize})`,
      );
    }
  }
}

function messagesOf(value: unknown, file: string, line: number, field: string): ChatMessage[] {
  if (!Array.isArray(value) || value.length === 0)
    fail(file, line, field, "must be a non-empty list of messages");
  return value.map((m, i) => {
    if (typeof m !== "object" || m === null || typeof m.role !== "string" || typeof m.content !== "string") {
      fail(file, line, `${field}[${i}]`, "must be {role: string, content: string}");
    }
    return { role: m.role as string, content: m.content as string };
  });
}

/** A folder or a missing file named as such rather than as a bare EISDIR / ENOENT, before any line is read. */
function checkDataFile(file: string): void {
  try {
    if (statSync(file).isDirectory()) throw new Error(`${file}: is a directory, expected a JSONL file`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new Error(`${file}: no such file`);
    if (code === undefined) throw error;
    throw new Error(`${file}: cannot read (${error instanceof Error ? error.message : String(error)})`);
  }
}

/**
 * JSONL lines as objects, with file:line errors: @ssb/durable-files' line reader, as every ssb input file is
 * read (a byte-order mark on any line skipped, UTF-16 and JSON documents refused saying what they are, an id
 * past 2^53 refused with its digits). Read in chunks, so a pairs file past V8's 512 MiB string limit loads.
 */
export async function readJsonl(file: string): Promise<{ line: number; record: Record<string, unknown> }[]> {
  checkDataFile(file);
  const out: { line: number; record: Record<string, unknown> }[] = [];
  for (const { text, line } of textFileLines(file)) {
    if (text.trim() === "") continue;
    const record = parseJsonlLine(text, file, line, { exactFields: ["problemId", "id"] });
    out.push({ line, record: record as Record<string, unknown> });
  }
  return out;
}

/**
 * Refuse a pair whose problemId was seen on an earlier line: a pair is identified by its problem (curation
 * writes one per kept problem), and a repeated one would be trained on twice per epoch.
 */
function checkUniquePair(pair: PairRecord, seen: Map<string, number>, file: string, line: number): void {
  const first = seen.get(pair.problemId);
  if (first !== undefined) {
    throw new Error(
      `${file}: pair "${pair.problemId}" appears twice, on lines ${first} and ${line} (field "problemId")`,
    );
  }
  seen.set(pair.problemId, line);
}

export function parsePair(record: Record<string, unknown>, file: string, line: number): PairRecord {
  const problemId = record.problemId;
  if (typeof problemId !== "string" && typeof problemId !== "number")
    fail(file, line, "problemId", "must be a string");
  const logitKey = record.logitKey ?? null;
  if (logitKey !== null && typeof logitKey !== "string")
    fail(file, line, "logitKey", "must be a string or null");
  return {
    problemId: String(problemId),
    studentMessages: messagesOf(record.studentMessages, file, line, "studentMessages"),
    responseTokenIds: idList(record.responseTokenIds, file, line, "responseTokenIds"),
    logitKey,
  };
}

/** How prompts are tokenised (see studentPromptIds). */
export interface PromptTokenOptions {
  /**
   * The time the chat template's `strftime_now` reports (a run's pinned templateDate, see template-date.ts):
   * Llama 3.1/3.2-Instruct write it into the system turn. Unset: the clock.
   */
  now?: Date;
  /**
   * Extra template variables for `chat` prompts (a run's chatTemplateKwargs, e.g. Qwen3's
   * `{"enable_thinking": false}`); raw prompts and `{text}` records do not go through the template.
   */
  chatTemplateKwargs?: ChatTemplateKwargs;
  /**
   * Add the tokenizer's special tokens (Llama: `<|begin_of_text|>`; Qwen: none) to text that is not a rendered
   * chat template: raw prompts and `{text}` records, as transformers' tokenizer(text) and the reference
   * code's collator do. Default true; false only keeps a run begun before this was done (see run-training.ts).
   */
  addSpecialTokens?: boolean;
}

/**
 * The student prompt's token ids for a pair. `chat`: the template's rendering, which carries its own BOS
 * (nothing is added to it, so it is not doubled); `raw`: `system + " " + user` with the special tokens.
 */
export function studentPromptIds(
  messages: readonly ChatMessage[],
  tokenizer: ModelTokenizer,
  mode: PromptMode,
  options: PromptTokenOptions = {},
): number[] {
  if (mode === "chat")
    return tokenizer.encodeChat(messages, {
      addGenerationPrompt: true,
      ...(options.now ? { now: options.now } : {}),
      ...(options.chatTemplateKwargs ? { variables: options.chatTemplateKwargs } : {}),
    });
  const system = messages.find((m) => m.role === "system")?.content;
  const user = messages
    .filter((m) => m.role === "user")
    .map((m) => m.content)
    .join("\n");
  return tokenizer.encode(system === undefined ? user : `${system} ${user}`, {
    addSpecialTokens: options.addSpecialTokens ?? true,
  });
}

function teacherRowsFor(
  pair: PairRecord,
  store: LogitStore,
  file: string,
  line: number,
  vocabSize: number | undefined,
): TeacherRows {
  if (pair.logitKey === null)
    fail(file, line, "logitKey", "is null: this pair has no captured logits (KD needs them)");
  if (!store.has(pair.logitKey))
    fail(file, line, "logitKey", `"${pair.logitKey}" is not in the logit store ${store.dir}`);
  const rows = store.read(pair.logitKey);
  const n = pair.responseTokenIds.length;
  if (rows.length !== n) {
    fail(
      file,
      line,
      "logitKey",
      `"${pair.logitKey}" has ${rows.length} logit rows but the reply has ${n} tokens`,
    );
  }
  for (let i = 0; i < n; i++) {
    if (rows.tokenIds[i] !== pair.responseTokenIds[i]) {
      fail(
        file,
        line,
        "responseTokenIds",
        `token ${i} is ${pair.responseTokenIds[i]} but logit row ${i} of "${pair.logitKey}" targets ${rows.tokenIds[i]}`,
      );
    }
  }
  // The teacher's top-k ids index the student's logits too (a dense [rows, V] target): one past the
  // vocabulary would land in the next row's distribution.
  checkVocab(rows.topkIds, vocabSize, { file, line, field: "logitKey", role: "teacher top-k" });
  return {
    k: rows.k,
    topkIds: Int32Array.from(rows.topkIds),
    topkLogits: Float32Array.from(topkLogitsAsFloat32(rows)),
    logSumExp: Float32Array.from(rows.logSumExp),
  };
}

export interface LoadPairsOptions extends PromptTokenOptions {
  tokenizer: ModelTokenizer;
  promptMode?: PromptMode;
  /** The logit store (KD). Without it, examples carry no teacher rows (SFT on the teacher's replies). */
  store?: LogitStore | null;
  /** The model's vocabulary size: every prompt, reply and teacher id must be below it (unset: not checked). */
  vocabSize?: number;
}

/** KD (or SFT) examples from a pairs file. */
export async function loadPairExamples(file: string, options: LoadPairsOptions): Promise<TrainingExample[]> {
  const mode = options.promptMode ?? "chat";
  const examples: TrainingExample[] = [];
  const seen = new Map<string, number>();
  for (const { line, record } of await readJsonl(file)) {
    const pair = parsePair(record, file, line);
    checkUniquePair(pair, seen, file, line);
    const { vocabSize } = options;
    checkVocab(pair.responseTokenIds, vocabSize, { file, line, field: "responseTokenIds", role: "target" });
    const teacher = options.store ? teacherRowsFor(pair, options.store, file, line, vocabSize) : null;
    const prompt = studentPromptIds(pair.studentMessages, options.tokenizer, mode, options);
    checkVocab(prompt, vocabSize, { file, line, field: "studentMessages", role: "prompt" });
    examples.push(exampleFromPromptAndReply(pair.problemId, prompt, pair.responseTokenIds, teacher));
  }
  if (examples.length === 0) throw new Error(`${file}: no pairs`);
  return examples;
}

/**
 * SFT examples: pair records (CE on the reply), `{text}` (CE on every token after the first), or
 * `{promptTokenIds, responseTokenIds}`. With `vocabSize`, every id must be below it. `{text}` is tokenised
 * with the special tokens (Llama's BOS first, as transformers' tokenizer(text)); see PromptTokenOptions.
 */
export async function loadSftExamples(
  file: string,
  tokenizer: ModelTokenizer | null,
  promptMode: PromptMode = "chat",
  vocabSize?: number,
  tokenOptions: PromptTokenOptions = {},
): Promise<TrainingExample[]> {
  const examples: TrainingExample[] = [];
  const seen = new Map<string, number>();
  for (const { line, record } of await readJsonl(file)) {
    const id = typeof record.id === "string" ? record.id : `${file}:${line}`;
    if ("studentMessages" in record) {
      if (!tokenizer) throw new Error(`${file}:${line}: chat records need a tokenizer`);
      const pair = parsePair(record, file, line);
      checkUniquePair(pair, seen, file, line);
      const prompt = studentPromptIds(pair.studentMessages, tokenizer, promptMode, tokenOptions);
      checkVocab(prompt, vocabSize, { file, line, field: "studentMessages", role: "prompt" });
      checkVocab(pair.responseTokenIds, vocabSize, { file, line, field: "responseTokenIds", role: "target" });
      examples.push(exampleFromPromptAndReply(pair.problemId, prompt, pair.responseTokenIds, null));
    } else if (typeof record.text === "string") {
      if (!tokenizer) throw new Error(`${file}:${line}: text records need a tokenizer`);
      const ids = tokenizer.encode(record.text, { addSpecialTokens: tokenOptions.addSpecialTokens ?? true });
      if (ids.length < 2) fail(file, line, "text", "must encode to at least 2 tokens");
      checkVocab(ids, vocabSize, { file, line, field: "text", role: "prompt and target" });
      examples.push(exampleFromPromptAndReply(id, ids.slice(0, 1), ids.slice(1), null));
    } else if ("promptTokenIds" in record) {
      const prompt = idList(record.promptTokenIds, file, line, "promptTokenIds");
      const reply = idList(record.responseTokenIds, file, line, "responseTokenIds");
      checkVocab(prompt, vocabSize, { file, line, field: "promptTokenIds", role: "prompt" });
      checkVocab(reply, vocabSize, { file, line, field: "responseTokenIds", role: "target" });
      examples.push(exampleFromPromptAndReply(id, prompt, reply, null));
    } else {
      throw new Error(
        `${file}:${line}: expected a pair record, {text} or {promptTokenIds, responseTokenIds}`,
      );
    }
  }
  if (examples.length === 0) throw new Error(`${file}: no records`);
  return examples;
}
