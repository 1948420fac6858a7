/**
 * The day a job's chat template writes into its prompts. Llama 3.1 / 3.2-Instruct render today's date into
 * their system turn (`strftime_now("%d %b %Y")`, local time), so a job resumed after local midnight would
 * render other prompts than the ones its records were sampled from (and refuse them as "another prompt").
 * A job pins the day at its first start in its settings file (`templateDate`, "YYYY-MM-DD") and renders
 * every prompt with it; a resume uses the recorded day, whatever today is.
 */
import { parseTemplateDate, templateDateString } from "@ssb/model";
import { RolloutError } from "./errors.js";
import { settingsFileOf, storedSettings } from "./stored-settings.js";

/**
 * The `templateDate` an output's settings file records, or undefined (no file yet, a file of a job that
 * pinned no day, or one the journal will refuse when it opens it: it names the problem then).
 */
function storedTemplateDate(settingsFile: string): { exists: boolean; date: string | undefined } {
  const { exists, fields } = storedSettings(settingsFile);
  const date = fields?.templateDate;
  return { exists, date: typeof date === "string" ? date : undefined };
}

export interface JobTemplateDate {
  /** The day to record in the settings (`templateDate`), or undefined: nothing recorded. */
  templateDate: string | undefined;
  /** What the template's `strftime_now` reports (local noon of that day), or undefined: not pinned. */
  now: Date | undefined;
  /**
   * True when an existing output recorded no day and this run pins today's: its records may be of another
   * day's prompts, and a refusal of a changed prompt then says to give that day (changedPromptHint).
   */
  unrecorded: boolean;
}

/**
 * The day the job writing `outFile` renders its prompts with: `asked` (templateDate / --template-date), else
 * the day its settings file records, else today (local) when the template reads the date, else none (the
 * settings of other templates' jobs stay as they were). `asked` other than the recorded day is refused,
 * naming both and how to go on, when the template reads the date; when it does not, it is a note (no prompt
 * differs) and the recorded day is kept. An output written before days were pinned, with a template that reads
 * the date, gets today's, said through `warn`. Reads only; the journal records the day it is given.
 */
export function jobTemplateDate(
  outFile: string,
  asked: string | undefined,
  readsDate: boolean,
  warn: (message: string) => void,
): JobTemplateDate {
  if (asked !== undefined) parseTemplateDate(asked, "templateDate (--template-date)");
  const settingsFile = settingsFileOf(outFile);
  const stored = storedTemplateDate(settingsFile);
  // A template that never reads the date renders the same prompts on any day: another day than the recorded
  // one (recorded when given at the first start) changes nothing, so it is said and the recorded day kept.
  const ignored = asked !== undefined && stored.date !== undefined && stored.date !== asked && !readsDate;
  if (ignored)
    warn(
      `note: the model's chat template does not read the date, so templateDate ${asked} changes no prompt; the output keeps the day it records, ${stored.date} (templateDate in ${settingsFile})`,
    );
  const given = ignored ? stored.date : asked;
  if (given !== undefined && stored.date !== undefined && stored.date !== given) {
    throw new RolloutError(
      `${outFile}: its prompts were rendered with the chat template's date ${stored.date} (templateDate in ${settingsFile}), not ${given}; to resume, give --template-date ${stored.date} or leave it out (templateDate in code), or use a new --out for prompts of another day (nothing was changed)`,
    );
  }
  if (given !== undefined && !readsDate && stored.date === undefined)
    warn(
      `note: the model's chat template does not read the date, so templateDate ${given} changes no prompt; it is recorded in ${settingsFile} all the same`,
    );
  let day = given ?? stored.date;
  let unrecorded = false;
  if (day === undefined && readsDate) {
    day = templateDateString();
    unrecorded = stored.exists;
    if (stored.exists)
      warn(
        `note: ${settingsFile} records no template date (written before jobs pinned one), and the model's chat template writes today's date into each prompt; this run pins ${day} and records it. If the output was started on another day its prompts differ and the resume is refused: give --template-date with that day (YYYY-MM-DD)`,
      );
  }
  if (day === undefined) return { templateDate: undefined, now: undefined, unrecorded };
  return { templateDate: day, now: parseTemplateDate(day, `${settingsFile}: templateDate`), unrecorded };
}

/**
 * What a refusal of a changed prompt adds when this run pinned today's date for an output that recorded none:
 * the likely cause is the day, and the way on is --template-date with the day the output was begun.
 */
export function changedPromptHint(day: JobTemplateDate): string | undefined {
  if (!day.unrecorded) return undefined;
  return `the model's chat template writes the date into each prompt and this output recorded none, so this run rendered ${day.templateDate}: if it was begun on another day, resume with --template-date of that day (YYYY-MM-DD)`;
}
