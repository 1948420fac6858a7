/**
 * What a job's settings file beside its output records, read before the journal opens it: a job decides what
 * to render its prompts with (the pinned day, the template kwargs) from the recorded values, and must refuse a
 * mismatch before anything is written.
 */
import { existsSync, readFileSync } from "node:fs";

/** The settings file beside a job's output, as rollout-journal names it. */
export const settingsFileOf = (outFile: string): string => `${outFile}.settings.json`;

/**
 * The fields an output's settings file holds: `exists` false when there is no file yet; `fields` undefined for
 * a file the journal will refuse when it opens it (not JSON, not an object): it names the problem then.
 */
export function storedSettings(settingsFile: string): {
  exists: boolean;
  fields: Record<string, unknown> | undefined;
} {
  if (!existsSync(settingsFile)) return { exists: false, fields: undefined };
  try {
    const found: unknown = JSON.parse(readFileSync(settingsFile, "utf8"));
    if (typeof found !== "object" || found === null || Array.isArray(found))
      return { exists: true, fields: undefined };
    return { exists: true, fields: found as Record<string, unknown> };
  } catch {
    return { exists: true, fields: undefined };
  }
}
