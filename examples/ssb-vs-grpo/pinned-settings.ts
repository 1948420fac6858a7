/**
 * What a rerun must match to continue an output folder: the comparison's settings as they take effect, not as
 * they were spelled. config.yaml spells out the `ssb` section's defaults and the built-in config leaves the
 * section empty; both resolve to the same `ssb run` and GRPO configs, so a run started with one continues with
 * the other (comparing the sections as written refused that, naming "ssb.distill" and "ssb.rollout" as
 * different settings when nothing differed).
 */
import { type CompareConfig, resolveCompareConfig } from "./compare-config.js";

/** Top-level fields the comparison sets in the `ssb run` config itself; compared once, at the top level. */
const SET_BY_COMPARISON = ["seed", "model", "workDir", "problems", "eval"] as const;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** JSON round trip: drops undefined fields, as config.json on disk does. */
const asJson = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

/**
 * The settings that decide what a comparison computes: the top-level fields as given (workDir dropped: it only
 * names the folder), the `ssb` section resolved over `ssb run`'s defaults and the `grpo` section over GRPO's.
 * Throws a CompareConfigError when `config` does not validate.
 */
export function effectiveSettings(config: unknown): Json {
  const resolved = resolveCompareConfig(config, "config.json");
  const ssb: Json = { ...resolved.ssb };
  for (const field of SET_BY_COMPARISON) delete ssb[field];
  return asJson({ ...resolved.config, workDir: undefined, ssb, grpo: resolved.grpo }) as Json;
}

/** Paths where two JSON values differ ("grpo.optimizer.lr"), sorted. */
export function differingFields(a: unknown, b: unknown, prefix = ""): string[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    return keys.flatMap((k) => differingFields(a[k], b[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(a) === JSON.stringify(b) ? [] : [prefix || "(top level)"];
}

/**
 * Fields where the settings pinned in an output folder's config.json (`stored`) and this run's differ in
 * effect. A stored config that no longer validates (written by another version) is compared as written.
 */
export function pinnedDifferences(stored: unknown, current: CompareConfig): string[] {
  let storedSettings: Json;
  try {
    storedSettings = effectiveSettings(stored);
  } catch {
    return differingFields(stored, asJson({ ...current, workDir: undefined }));
  }
  return differingFields(storedSettings, effectiveSettings(current));
}
