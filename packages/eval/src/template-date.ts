/**
 * The day a date-reading chat template renders (Llama 3.1 / 3.2-Instruct write today's date into their system
 * turn, `strftime_now("%d %b %Y")`, local time). A run pins it in run.json at its first start, so a run resumed
 * on another day renders the prompts it began with instead of mixing two days' prompts in one result. The day's
 * checks and formats are @ssb/model's (isTemplateDate, templateDateString, parseTemplateDate), as rollout's.
 */
import { templateDateString } from "@ssb/model";

/**
 * The day this run renders its prompts with: `given` (the config's templateDate / --template-date), else the
 * one run.json records, else today (local) when the model's template reads the date, else none (run.json of
 * other models stays as it was). A run.json from before days were pinned, resumed with a date-reading
 * template, gets today's, said through `warn`. A `given` day other than the recorded one was refused earlier
 * (checkRunManifest).
 */
export function runTemplateDate(
  given: string | undefined,
  stored: { templateDate?: unknown } | null,
  readsDate: boolean,
  runFile: string,
  warn: (message: string) => void,
): string | undefined {
  if (given !== undefined) return given;
  if (typeof stored?.templateDate === "string") return stored.templateDate;
  if (!readsDate) return undefined;
  const today = templateDateString();
  if (stored !== null)
    warn(
      `ssb-eval: note: ${runFile} records no template date (written before runs pinned one), and the model's chat template writes today's date into each prompt; this run pins ${today} and records it (the samples already in records.jsonl were rendered on the day they were made; a resume of such a run.json given --template-date pins that day instead)`,
    );
  return today;
}
