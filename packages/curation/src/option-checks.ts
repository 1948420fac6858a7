/**
 * Checks for options passed in code (not read from files): a misspelt key, a wrong type or a value outside
 * the known set would otherwise be ignored or fall back to a default without a word. Each message names the
 * function and the option, in one line.
 */
import { describe } from "./parse-records.js";

/** Refuses keys that are not among `known` (a misspelt option would silently be ignored). */
export function checkKnownKeys(
  options: object,
  known: readonly string[],
  where: string,
  what = "option",
): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`${where}: unknown ${what} ${JSON.stringify(key)} (known: ${known.join(", ")})`);
    }
  }
}

/** Refuses anything but a plain object (or undefined, which the caller reads as "all defaults"). */
export function checkOptionsObject(value: unknown, where: string, what = "options"): void {
  if (value === undefined) return;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`${where}: ${what} must be an object, found ${describe(value)}`);
  }
}

/** One of a fixed set of strings, or undefined (the default). */
export function checkOneOf(value: unknown, allowed: readonly string[], where: string, field: string): void {
  if (value === undefined) return;
  if (typeof value !== "string" || !allowed.includes(value)) {
    throw new RangeError(
      `${where}: option "${field}" must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, found ${describe(value)}`,
    );
  }
}

/** A safe integer >= min, or undefined (the default). */
export function checkInteger(value: unknown, min: number, where: string, field: string): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `${where}: option "${field}" must be an integer >= ${min}, found ${describe(value)}`,
    );
  }
}

/** A finite number accepted by `ok` (described by `expected`), or undefined (the default). */
export function checkNumber(
  value: unknown,
  where: string,
  field: string,
  expected = "a finite number",
  ok: (n: number) => boolean = () => true,
): void {
  if (value === undefined) return;
  if (typeof value !== "number" || !Number.isFinite(value) || !ok(value)) {
    throw new RangeError(`${where}: option "${field}" must be ${expected}, found ${describe(value)}`);
  }
}

/** true, false or undefined (the default). */
export function checkBoolean(value: unknown, where: string, field: string): void {
  if (value === undefined || typeof value === "boolean") return;
  throw new TypeError(`${where}: option "${field}" must be true or false, found ${describe(value)}`);
}
