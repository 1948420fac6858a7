/**
 * A config file's text as written, kept beside its parsed value: a validation error then names the file, the
 * line and column of the field, and the value as the user typed it (`.inf`, `1e400`), not as parsed (JSON's
 * `null` for Infinity, `NaN`).
 */
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";

export type FieldPath = readonly (string | number)[];

/** One thing wrong with one field of a config. */
export interface FieldIssue {
  path: FieldPath;
  /** What is wrong with the value; null for a field the config does not have (a typo). */
  problem: string | null;
  value: unknown;
  /**
   * The whole problem as its checker worded it (a rule over several fields), shown instead of
   * `field "a.b": problem`; still placed at `path`.
   */
  wording?: string;
}

export interface WrittenValue {
  /** The value's source text (long values cut short). */
  text: string;
  line: number;
  col: number;
}

export interface ConfigSource {
  /** The config file, or "default config" / "flags" for settings that came from no file. */
  name: string;
  /**
   * Where and how the value at `path` was written, when the file wrote it (not for defaults); with `key`, where
   * its key was written instead (an unknown field's mistake is its name, not its value).
   */
  at(path: FieldPath, part?: "value" | "key"): WrittenValue | undefined;
  /**
   * The command-line flag that set the field at `path`, if one did: its problem is then named by the flag
   * (`--samples 0: ...`), not by a config field the user never wrote.
   */
  label?(path: FieldPath): string | undefined;
}

const MAX_SHOWN = 60;

function shorten(text: string): string {
  const oneLine = text.replace(/\s*\n\s*/g, " ");
  return oneLine.length > MAX_SHOWN ? `${oneLine.slice(0, MAX_SHOWN)}…` : oneLine;
}

/** A parsed value as it would be written: NaN and the infinities by name (JSON.stringify writes null). */
export function formatValue(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (value === undefined) return "nothing";
  return shorten(JSON.stringify(value) ?? String(value));
}

/** A source that knows no text: settings built in code (the default) or from flags. */
export function unwrittenSource(name: string): ConfigSource {
  return { name, at: () => undefined };
}

/**
 * A locator for `text` (JSON or YAML; JSON is read as YAML for this, which it is). A file YAML cannot read
 * (a JSON file with duplicate keys) gets none: its errors then show parsed values.
 */
export function writtenSource(text: string, name: string): ConfigSource {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) return unwrittenSource(name);
  return {
    name,
    at(path, part = "value") {
      const node =
        part === "key" ? keyNode(doc.getIn(path.slice(0, -1), true), path.at(-1)) : doc.getIn(path, true);
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      if (range === undefined) return undefined;
      const { line, col } = lines.linePos(range[0]);
      return { text: shorten(text.slice(range[0], range[1])), line, col };
    },
  };
}

/** The key node of `key` in a parsed YAML mapping (JSON objects are mappings too), or undefined. */
function keyNode(map: unknown, key: string | number | undefined): unknown {
  if (!isMap(map)) return undefined;
  return map.items.find((pair) => isScalar(pair.key) && String(pair.key.value) === String(key))?.key;
}

/** `field "a.b"`, as every message names a field. */
export function fieldName(path: FieldPath): string {
  return `field "${path.join(".")}"`;
}

/**
 * `field "a.b": problem (found <as written>)`, or `unknown field "a.b"` when `problem` is null (a typo needs no
 * more), and where the file wrote it (not for defaults or flags).
 */
export function describeField(
  source: ConfigSource,
  issue: FieldIssue,
): { at: WrittenValue | undefined; text: string; flag?: true } {
  const { path, problem, value } = issue;
  const flag = source.label?.(path);
  if (flag !== undefined && problem !== null && issue.wording === undefined)
    return { at: undefined, text: `${flag} ${formatValue(value)}: ${problem}`, flag: true };
  const at = source.at(path, problem === null ? "key" : "value");
  if (issue.wording !== undefined) return { at, text: issue.wording };
  if (problem === null) return { at, text: `unknown field "${path.join(".")}"` };
  return { at, text: `${fieldName(path)}: ${problem} (found ${at?.text ?? formatValue(value)})` };
}

/** One problem with one field, in one line: `file:line:col: field "a.b": problem (found <as written>)`. */
export function fieldError(source: ConfigSource, issue: FieldIssue): string {
  const { at, text, flag } = describeField(source, issue);
  if (flag) return text; // a flag's value: the command line, not the config, is where it was written
  return `${at ? `${source.name}:${at.line}:${at.col}` : source.name}: ${text}`;
}

/** All issues in one line: the first one's place leads (file:line:col); later ones give their own line. */
export function describeIssues(issues: readonly FieldIssue[], source: ConfigSource): string {
  const [first, ...rest] = issues;
  if (first === undefined) return source.name;
  const tail = rest.map((i) => {
    const { at, text } = describeField(source, i);
    return at ? `line ${at.line}:${at.col}: ${text}` : text;
  });
  return [fieldError(source, first), ...tail].join("; ");
}
