/**
 * run.json: every setting that decides a run's records, written when a run starts and compared on each rerun
 * into the same folder. A difference is refused with the field that differs, because mixing samples of two
 * configurations (or two models, or two replies files) would make every number wrong.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { readJsonFile } from "@ssb/durable-files";
import {
  type ChatTemplateKwargs,
  chatTemplateKwargsKey,
  checkChatTemplateKwargs,
  isTemplateDate,
  sameChatTemplateKwargs,
} from "@ssb/model";
import type { GradeOptions } from "@ssb/verifier";
import type { BenchmarkSpec } from "./benchmarks.js";
import type { LoadedBenchmark } from "./load-benchmark.js";
import { DEFAULT_SYSTEM_PROMPT, DEFAULT_USER_TEMPLATE } from "./prompt.js";
import { describeJsonValue } from "./read-file.js";
import type { EvalConfig } from "./run-eval.js";
import type { SamplingParams } from "./types.js";
import { installedVerifierVersion } from "./verifier-version.js";

export const RUN_FORMAT = "ssb-eval-run/1";

/** What run.json holds: every setting that decides a record. */
export interface RunManifest {
  format: typeof RUN_FORMAT;
  modelId: string;
  /** The generator's fingerprint of the weights (or replies file); null when it gives none. */
  modelFingerprint: string | null;
  n: number;
  sampling: SamplingParams;
  seed: number;
  systemPrompt: string | null;
  userTemplate: string;
  grade: GradeOptions;
  /**
   * The version of the @ssb/verifier that graded the records (installedVerifierVersion). Not a setting: a
   * resume under another version regrades the records already there from their stored replies and records its
   * own (runEval). Absent in a run.json written before versions were recorded, and when the version cannot be
   * read.
   */
  verifierVersion?: string;
  benchmarks: { name: string; spec: BenchmarkSpec; fileSha256: string; problemIds: string[] }[];
  /**
   * The execution providers the samples were generated on, in the order runs used them (a run resumed on
   * another appends it). Not compared on resume; absent when the generator does not say (a replies file).
   */
  executionProviders?: string[];
  /**
   * The day ("YYYY-MM-DD") the model's chat template wrote into the prompts, when it reads the date (Llama
   * 3.1 / 3.2-Instruct) or the config gave one: pinned at the run's first start, and every resume renders its
   * prompts with it. Absent for other templates, whose run.json stays as it was. Compared by
   * checkRunManifest itself (a run.json written before days were pinned lacks it and gets one).
   */
  templateDate?: string;
  /**
   * The extra chat-template variables every prompt was rendered with (Qwen3's `{"enable_thinking": false}`):
   * recorded only when there are some, so a run without them writes run.json as before, and a run.json without
   * the field means none. Compared by checkRunManifest itself: a resume that leaves them out uses these.
   */
  chatTemplateKwargs?: ChatTemplateKwargs;
}

/** What run.json records of the model (a SampleGenerator is one), known before any sample is generated. */
export interface ModelIdentity {
  readonly modelId: string;
  /** Where samples are generated (see SampleGenerator.executionProvider): recorded, not compared. */
  readonly executionProvider?: string;
  readonly fingerprint?: string;
  /** What the fingerprint covers, for the message when a rerun's differs ("the replies file r.jsonl"). */
  readonly fingerprintOf?: string;
  /**
   * Ids earlier versions recorded for this same model (SampleGenerator.formerModelIds): a run.json holding one
   * resumes under it, so a better default id never refuses, or renames, a run begun under the old one.
   */
  readonly formerModelIds?: readonly string[];
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export function buildManifest(
  config: EvalConfig,
  model: ModelIdentity,
  loaded: readonly LoadedBenchmark[],
  verifierVersion: string | undefined = installedVerifierVersion(),
): RunManifest {
  return {
    format: RUN_FORMAT,
    modelId: model.modelId,
    modelFingerprint: model.fingerprint ?? null,
    n: config.n,
    sampling: config.sampling,
    seed: config.seed,
    systemPrompt: config.systemPrompt === undefined ? DEFAULT_SYSTEM_PROMPT : config.systemPrompt,
    userTemplate: config.userTemplate ?? DEFAULT_USER_TEMPLATE,
    grade: config.grade ?? {},
    ...(verifierVersion !== undefined ? { verifierVersion } : {}),
    benchmarks: loaded.map((b) => ({
      name: b.spec.name,
      spec: b.spec,
      fileSha256: sha256(readFileSync(b.file, "utf8")),
      problemIds: b.problems.map((p) => p.id),
    })),
    ...(model.executionProvider !== undefined ? { executionProviders: [model.executionProvider] } : {}),
    ...(config.templateDate !== undefined ? { templateDate: config.templateDate } : {}),
    ...(config.chatTemplateKwargs !== undefined && chatTemplateKwargsKey(config.chatTemplateKwargs) !== ""
      ? { chatTemplateKwargs: config.chatTemplateKwargs }
      : {}),
  };
}

/** The provider a run.json lists for samples written before providers were recorded. */
export const UNRECORDED_PROVIDER = "unknown";

/**
 * The execution providers after this run: the stored list, with `now` appended when it is not the last one
 * (a run resumed on another provider). A run.json written before providers were recorded starts its list with
 * "unknown" when the folder already holds samples, rather than claiming this run's provider for them. Null
 * when nothing changes.
 */
export function nextExecutionProviders(
  stored: RunManifest,
  now: string | undefined,
  holdsSamples: boolean,
): string[] | null {
  if (now === undefined) return null;
  const before = Array.isArray(stored.executionProviders)
    ? stored.executionProviders
    : holdsSamples
      ? [UNRECORDED_PROVIDER]
      : [];
  return before.at(-1) === now ? null : [...before, now];
}

/** A setting's value as a refusal shows it: JSON, "unset" when absent. */
function shown(value: unknown): string {
  return value === undefined ? "unset" : JSON.stringify(value);
}

/**
 * `field: A in run.json, B now`, or the field alone when the values are long (a system prompt): "different
 * settings (n)" left the user to open run.json to learn what the run had been started with.
 */
function valueChange(field: string, stored: unknown, now: unknown): string {
  const [a, b] = [shown(stored), shown(now)];
  return a.length + b.length > 80 ? field : `${field}: ${a} in run.json, ${b} now`;
}

/** What differs between two benchmark entries of the same name, in words. */
function benchmarkChange(a: RunManifest["benchmarks"][number], b: RunManifest["benchmarks"][number]): string {
  const field = `benchmarks[${a.name}]`;
  if (JSON.stringify(a.spec) !== JSON.stringify(b.spec)) return `${field} (its spec)`;
  if (a.fileSha256 !== b.fileSha256) return `${field} (its file changed since this run started)`;
  if (a.problemIds.length !== b.problemIds.length)
    return `${field}: ${a.problemIds.length} problems in run.json, ${b.problemIds.length} now (--limit or problemIds)`;
  return `${field} (other problems: --limit or problemIds)`;
}

/**
 * The first top-level field (or benchmark) where two manifests differ, or null; `a` is run.json's, `b` this
 * run's. Values are named where they are short (`n: 2 in run.json, 4 now`; an object by its first differing
 * key, `sampling.temperature: 0.8 in run.json, 0.5 now`).
 */
export function manifestDifference(a: RunManifest, b: RunManifest): string | null {
  // Both manifests' keys: a run.json written before a field existed lacks it, and that is a difference too.
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])] as (keyof RunManifest)[];
  for (const key of keys) {
    if (key === "executionProviders") continue; // a record of where samples came from, not a setting
    // Absent until a run pins one, and taken from run.json when not given: checkRunManifest compares it.
    if (key === "templateDate") continue;
    // Taken from run.json when not given, and compared key order aside: checkRunManifest compares them.
    if (key === "chatTemplateKwargs") continue;
    // Which verifier graded, not a setting: runEval regrades the records when it differs.
    if (key === "verifierVersion") continue;
    if (JSON.stringify(a[key]) === JSON.stringify(b[key])) continue;
    // A larger n adds samples and leaves those already there as they are: sample i of a problem is seeded from
    // the run seed, the problem and i alone (as in ssb-rollout), so the run ends as a fresh run at that n would.
    // A smaller one would drop samples the folder holds.
    if (key === "n") {
      if (b.n > a.n) continue;
      return `${valueChange(key, a.n, b.n)}; a resume may raise n, adding samples, but not lower it`;
    }
    if (key === "benchmarks") {
      const names = (m: RunManifest) => m.benchmarks.map((x) => x.name).join(",");
      if (names(a) !== names(b)) return `benchmarks (${names(a)} in run.json, ${names(b)} now)`;
      const i = a.benchmarks.findIndex((x, j) => JSON.stringify(x) !== JSON.stringify(b.benchmarks[j]));
      const [x, y] = [a.benchmarks[i], b.benchmarks[i]];
      return x !== undefined && y !== undefined ? benchmarkChange(x, y) : "benchmarks";
    }
    // The fingerprint is a hash: checkRunManifest says what it covers instead.
    if (key === "modelFingerprint") return key;
    const [va, vb] = [a[key] as unknown, b[key] as unknown];
    if (isObject(va) && isObject(vb)) {
      const sub = [...new Set([...Object.keys(va), ...Object.keys(vb)])].find(
        (k) => JSON.stringify(va[k]) !== JSON.stringify(vb[k]),
      );
      if (sub !== undefined) return valueChange(`${key}.${sub}`, va[sub], vb[sub]);
    }
    return valueChange(key, va, vb);
  }
  return null;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Read and check a run.json. The fields that report and compare use are checked for shape, so a damaged or
 * foreign file stops with its name and the field instead of a TypeError; the rest is compared as written.
 */
export function readRunManifest(file: string): RunManifest {
  const value = readJsonFile(file);
  if (!isObject(value))
    throw new Error(
      `${file}: not a JSON object (found ${describeJsonValue(value)}); it should hold a run's settings`,
    );
  // Another tool's run.json (an ssb-curate or ssb-distill output folder): say so rather than name a field.
  if (typeof value.format === "string" && value.format !== RUN_FORMAT)
    throw new Error(
      `${file}: holds a run of another kind (format "${value.format}"), not an ssb-eval run ("${RUN_FORMAT}")`,
    );
  const bad = (field: string, expected: string): Error =>
    new Error(`${file}: field "${field}" must be ${expected}`);
  if (typeof value.modelId !== "string") throw bad("modelId", "a string");
  if (value.templateDate !== undefined && !isTemplateDate(value.templateDate))
    throw bad("templateDate", "a date as YYYY-MM-DD");
  if (value.verifierVersion !== undefined && typeof value.verifierVersion !== "string")
    throw bad("verifierVersion", "a version string");
  if (value.chatTemplateKwargs !== undefined)
    checkChatTemplateKwargs(value.chatTemplateKwargs, `${file}: field "chatTemplateKwargs"`);
  if (!(Number.isInteger(value.n) && (value.n as number) >= 1)) throw bad("n", "a positive integer");
  if (!(isObject(value.sampling) && typeof value.sampling.maxNewTokens === "number"))
    throw bad("sampling", "an object with maxNewTokens");
  if (!Array.isArray(value.benchmarks)) throw bad("benchmarks", "a list");
  const providers = value.executionProviders;
  if (providers !== undefined && !(Array.isArray(providers) && providers.every((p) => typeof p === "string")))
    throw bad("executionProviders", "a list of provider names");
  value.benchmarks.forEach((b: unknown, i) => {
    const ok =
      isObject(b) &&
      typeof b.name === "string" &&
      Array.isArray(b.problemIds) &&
      b.problemIds.every((id) => typeof id === "string");
    if (!ok) throw bad(`benchmarks[${i}]`, "an object with a name and a list of problemIds");
  });
  return value as unknown as RunManifest;
}

const START_OVER = "start over in a new output folder (--out), or delete this one";

/**
 * Compare a run's manifest with the run.json in its folder, if there is one (returns it, or null when there is
 * none); a difference throws, naming the field. `givenKwargs` are the chat template kwargs this run was given
 * (undefined: not given, so run.json's apply; `{}`: none, which a run.json recording some refuses). Writes
 * nothing.
 */
export function checkRunManifest(
  file: string,
  manifest: RunManifest,
  model: ModelIdentity,
  givenKwargs?: ChatTemplateKwargs,
): RunManifest | null {
  if (!existsSync(file)) return null;
  let previous: RunManifest;
  try {
    previous = readRunManifest(file);
  } catch (error) {
    throw new Error(`${(error as Error).message}; ${START_OVER}`);
  }
  const given = manifest.templateDate;
  if (given !== undefined && typeof previous.templateDate === "string" && previous.templateDate !== given)
    throw new Error(
      `${file}: this run's prompts were rendered with the chat template's date ${previous.templateDate} (templateDate in run.json), not ${given}; to resume, give --template-date ${previous.templateDate} or leave it out (templateDate in the config), or start over in a new output folder (--out)`,
    );
  if (givenKwargs !== undefined && !sameChatTemplateKwargs(previous.chatTemplateKwargs, givenKwargs)) {
    const recorded = previous.chatTemplateKwargs;
    const none = chatTemplateKwargsKey(recorded) === "";
    const was = none
      ? "no chat template kwargs (run.json records none)"
      : `chat template kwargs ${JSON.stringify(recorded)} (chatTemplateKwargs in run.json)`;
    const resume = none
      ? "leave --chat-template-kwargs out (chatTemplateKwargs in the config)"
      : `give --chat-template-kwargs '${JSON.stringify(recorded)}' or leave it out (chatTemplateKwargs in the config)`;
    throw new Error(
      `${file}: this run's prompts were rendered with ${was}, not ${JSON.stringify(givenKwargs)}; to resume, ${resume}, or start over in a new output folder (--out)`,
    );
  }
  // A run begun when this model's id was derived the old way goes on under the id it recorded.
  const former = previous.modelId !== manifest.modelId && model.formerModelIds?.includes(previous.modelId);
  const diff = manifestDifference(previous, former ? { ...manifest, modelId: previous.modelId } : manifest);
  if (diff === null) return previous;
  let detail = diff;
  if (diff === "modelFingerprint" && model.fingerprintOf !== undefined) {
    // Say what changed: "modelFingerprint" alone does not tell a user which file to look at.
    detail +=
      previous.modelFingerprint == null
        ? `: this run.json records none, so it cannot tell whether ${model.fingerprintOf} changed`
        : `: ${model.fingerprintOf} changed since this run started`;
  }
  throw new Error(`${file}: this folder holds a run with different settings (${detail}); ${START_OVER}`);
}
