/**
 * The `distill` section of a config, checked by @ssb/distill's own validator (its rules are not copied here),
 * but reported like the other sections: every problem, each as a field issue that the config's source can
 * place (line:column). The validator stops at the first problem, so each one it names is taken out of the
 * settings (an unknown field removed, a bad value left to its default) and the rest is checked again.
 */
import { resolveTrainConfig, type TrainConfigInput } from "@ssb/distill";
import type { FieldIssue, FieldPath } from "./config-source.js";

const WHERE = "distill";
/** More rounds than a section has fields: each round removes one field, so the loop always ends. */
const MAX_ROUNDS = 200;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** NaN and the infinities, which @ssb/distill would name by their parsed value (`null`, `NaN`). */
export function nonFiniteNumbers(value: unknown, at: FieldPath): FieldIssue[] {
  if (typeof value === "number")
    return Number.isFinite(value) ? [] : [{ path: at, problem: "expected a finite number", value }];
  if (Array.isArray(value)) return value.flatMap((v, i) => nonFiniteNumbers(v, [...at, i]));
  if (isPlainObject(value)) return Object.entries(value).flatMap(([k, v]) => nonFiniteNumbers(v, [...at, k]));
  return [];
}

function valueAt(root: unknown, fieldPath: FieldPath): unknown {
  let v = root;
  for (const key of fieldPath) v = isPlainObject(v) ? v[key] : undefined;
  return v;
}

/** Deletes the field at `fieldPath` in `root`; false when it is not there (nothing changed). */
function removeAt(root: Record<string, unknown>, fieldPath: FieldPath): boolean {
  const parent = valueAt(root, fieldPath.slice(0, -1));
  const key = fieldPath.at(-1);
  if (!isPlainObject(parent) || key === undefined || !Object.hasOwn(parent, key)) return false;
  delete parent[key];
  return true;
}

/**
 * One of the validator's messages as a field issue of the section at `at`: `unknown field "a.b"` and
 * `field "a.b" must be ... [, found V]` name one field; any other (a rule over two fields) is kept as worded
 * and placed at the first field it names.
 */
function issueOf(message: string, at: FieldPath, input: unknown): { issue: FieldIssue; field: FieldPath } {
  const text = message.startsWith(`${WHERE}: `) ? message.slice(WHERE.length + 2) : message;
  const split = (name: string): string[] => name.split(".");
  const unknown = /^unknown field "([^"]+)"$/.exec(text);
  if (unknown?.[1] !== undefined) {
    const field = split(unknown[1]);
    return { issue: { path: [...at, ...field], problem: null, value: undefined }, field };
  }
  const one = /^field "([^"]+)" (.*?)(, found .*)?$/.exec(text);
  if (one?.[1] !== undefined && one[2] !== undefined) {
    const field = split(one[1]);
    return { issue: { path: [...at, ...field], problem: one[2], value: valueAt(input, field) }, field };
  }
  const named = /"([^"]+)"/.exec(text)?.[1];
  const field = named === undefined ? [] : split(named);
  return {
    issue: {
      path: [...at, ...field],
      problem: text,
      value: valueAt(input, field),
      wording: `${WHERE}: ${text}`,
    },
    field,
  };
}

/**
 * Every problem of a distill section (`at` is where the section sits in the config: `["distill"]` in an ssb
 * run config, `[]` in `ssb distill --config`), with `seed` (the run's) under it as the stage adds it.
 */
export function distillIssues(section: unknown, at: FieldPath, seed?: number): FieldIssue[] {
  if (!isPlainObject(section)) return [];
  const nonFinite = nonFiniteNumbers(section, at);
  const input = structuredClone(section);
  for (const issue of nonFinite) removeAt(input, issue.path.slice(at.length));
  const issues: FieldIssue[] = [...nonFinite];
  for (let round = 0; round < MAX_ROUNDS; round++) {
    try {
      resolveTrainConfig({ ...(seed === undefined ? {} : { seed }), ...input } as TrainConfigInput, WHERE);
      return issues;
    } catch (error) {
      const { issue, field } = issueOf(error instanceof Error ? error.message : String(error), at, input);
      issues.push(issue);
      // A rule over two fields, or a field the section does not write: nothing to take out, so no more.
      if (issue.wording !== undefined || !removeAt(input, field)) return issues;
    }
  }
  return issues;
}
