/**
 * The day a run's chat template renders. Llama 3.1/3.2-Instruct write today's date into the system turn
 * (`strftime_now`), so a run resumed on another day rendered other prompts than it began with (and than the
 * teacher's day). A run pins one day, `templateDate` ("YYYY-MM-DD"), in the config its checkpoints save: the
 * one given, else the one a resumed checkpoint recorded, else today's at the first start. A template that
 * does not read the date pins nothing, so such runs' configs and resume keys are as before.
 */
import { parseTemplateDate, templateDateString } from "@ssb/model";

export interface TemplateDateChoice {
  /** The day to record in the run's config (undefined: nothing to record). */
  templateDate: string | undefined;
  /** The time prompts render with (undefined: the template does not read it). */
  now: Date | undefined;
  /** A line to log (a resume of a checkpoint saved before the day was recorded), or null. */
  note: string | null;
}

export interface TemplateDateInputs {
  /** The setting as given (config or --template-date), if any. */
  given: string | undefined;
  /** Whether the model's chat template reads the date (@ssb/model's templateReadsDate). */
  readsDate: boolean;
  /** The checkpoint a resume continues: its directory and its saved config's templateDate. Null: a fresh start. */
  resumed: { dir: string; templateDate: string | undefined } | null;
  /** Names the setting in errors (e.g. `train config: field "templateDate"`). */
  where: string;
  /** The clock (tests). */
  today?: Date;
}

/** Which day a run renders its template with; see the file's comment. */
export function chooseTemplateDate(inputs: TemplateDateInputs): TemplateDateChoice {
  const { given, resumed, where } = inputs;
  // A day given or recorded is kept whatever the template (a recorded one was recorded because it read it).
  const kept = given ?? resumed?.templateDate;
  if (kept !== undefined) return { templateDate: kept, now: parseTemplateDate(kept, where), note: null };
  if (!inputs.readsDate) return { templateDate: undefined, now: undefined, note: null };
  const day = templateDateString(inputs.today ?? new Date());
  const note =
    resumed === null
      ? null
      : `note: ${resumed.dir} was saved before runs recorded the day their chat template writes (templateDate); its prompts showed the day each session began. This session pins today, ${day}; to render the day the run began instead, resume with templateDate set to it (--set templateDate=YYYY-MM-DD)`;
  return { templateDate: day, now: parseTemplateDate(day, where), note };
}
