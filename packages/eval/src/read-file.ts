/**
 * Text files as eval reads them. A leading UTF-8 byte-order mark (U+FEFF, which some Windows editors and
 * exporters write) is dropped: at the start of a prompt or a reply it carries no meaning. JSON files are read
 * with @ssb/durable-files' readJsonFile (errors name file:line:column).
 */
import { readFileSync } from "node:fs";
import { stripBom } from "@ssb/durable-files";

/** A UTF-8 text file, without a leading byte-order mark. */
export function readTextFile(path: string): string {
  return stripBom(readFileSync(path, "utf8"));
}

/** How a JSON value that should have been an object reads in a message: "null", "an array", "a string". */
export function describeJsonValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
