/**
 * One training sequence as the trainer sees it: token ids (prompt + reply, without the last reply token, which
 * predicts nothing) and the rows whose logits are trained. Row firstRow + i predicts targets[i].
 */
export interface TeacherRows {
  k: number;
  /** [n * k] */
  topkIds: Int32Array;
  /** [n * k] raw logits at T = 1, descending per row. */
  topkLogits: Float32Array;
  /** [n] full-vocabulary log-sum-exp at T = 1. */
  logSumExp: Float32Array;
}

export interface TrainingExample {
  id: string;
  inputIds: Int32Array;
  /** Index of the first trained row (prompt length - 1 for a reply). */
  firstRow: number;
  /** Target token of each trained row (the reply's ids), length n. */
  targets: Int32Array;
  /** Teacher top-k for each trained row (KD), or null (SFT). */
  teacher: TeacherRows | null;
}

/** prompt + reply -> the example's ids and rows (the last reply token is a target only). */
export function exampleFromPromptAndReply(
  id: string,
  promptIds: readonly number[],
  replyIds: readonly number[],
  teacher: TeacherRows | null,
): TrainingExample {
  if (promptIds.length === 0)
    throw new Error(
      `example ${id}: empty prompt (row t predicts token t+1, so a reply needs a prompt token before it)`,
    );
  if (replyIds.length === 0) throw new Error(`example ${id}: empty reply`);
  if (teacher && teacher.logSumExp.length !== replyIds.length) {
    throw new Error(
      `example ${id}: ${replyIds.length} reply tokens but ${teacher.logSumExp.length} teacher rows`,
    );
  }
  const inputIds = new Int32Array(promptIds.length + replyIds.length - 1);
  inputIds.set(promptIds);
  inputIds.set(replyIds.slice(0, -1), promptIds.length);
  return { id, inputIds, firstRow: promptIds.length - 1, targets: Int32Array.from(replyIds), teacher };
}

/**
 * Keep the first `maxLength` tokens of prompt + reply, as TRL's `max_length` counts them (the reply is cut at
 * its end; the teacher rows of the dropped tokens go with them). The input holds one token fewer, since the
 * last kept reply token is a target only. (It counted input positions, keeping one reply token more than
 * TRL at the same setting.) A prompt that leaves no reply token is refused rather than trained on nothing.
 */
export function truncateExample(example: TrainingExample, maxLength: number): TrainingExample {
  const promptLength = example.firstRow + 1;
  if (promptLength + example.targets.length <= maxLength) return example;
  const rows = maxLength - promptLength;
  if (rows < 1)
    throw new Error(
      `example ${example.id}: the prompt alone (${promptLength} tokens) fills maxLength ${maxLength}, leaving no reply token to train`,
    );
  const t = example.teacher;
  return {
    ...example,
    inputIds: example.inputIds.slice(0, maxLength - 1),
    targets: example.targets.slice(0, rows),
    teacher: t && {
      k: t.k,
      topkIds: t.topkIds.slice(0, rows * t.k),
      topkLogits: t.topkLogits.slice(0, rows * t.k),
      logSumExp: t.logSumExp.slice(0, rows),
    },
  };
}

/**
 * Refuse an example holding a token id outside [0, vocabSize) before training (examples built in code reach
 * the trainer without the loaders' file:line checks): an unknown target id would be a one-hot row of zeros,
 * trained silently to loss 0.
 */
export function checkExampleVocab(example: TrainingExample, vocabSize: number): void {
  const parts: [string, ArrayLike<number>][] = [
    ["input", example.inputIds],
    ["target", example.targets],
    ["teacher top-k", example.teacher?.topkIds ?? []],
  ];
  for (const [what, ids] of parts) {
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      if (!(id >= 0 && id < vocabSize))
        throw new Error(
          `example ${example.id}: ${what} token id ${id} (index ${i}) is outside the model's vocabulary [0, ${vocabSize})`,
        );
    }
  }
}
