/**
 * The date a chat template sees. Llama 3.1 / 3.2-Instruct's template writes `Today Date: 29 Nov 2026` into its
 * system turn from `strftime_now`, so the same conversation renders to another prompt on another day: a job
 * resumed after midnight would sample from other prompts than it began with. Jobs pin a date (a `YYYY-MM-DD`
 * string in their settings) and render with it; this module turns that string into the time the template reads,
 * and formats it as Python's `time.strftime` does in the C locale, which is what transformers' templates get
 * (the Intl month names @huggingface/jinja uses follow the machine's locale: "Nov." or "nov." elsewhere).
 */
import { ModelFileError } from "./json-fields.js";

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

const pad = (n: number, width = 2): string => String(n).padStart(width, "0");

/** Python's `strftime` in the C locale, local time, for the directives templates use; others are kept as written. */
export function strftime(date: Date, format: string): string {
  return format.replace(/%([aAbBdHIjmMpSyY%])/g, (_, d: string) => {
    const hour12 = date.getHours() % 12 === 0 ? 12 : date.getHours() % 12;
    switch (d) {
      case "a":
        return (DAYS[date.getDay()] as string).slice(0, 3);
      case "A":
        return DAYS[date.getDay()] as string;
      case "b":
        return (MONTHS[date.getMonth()] as string).slice(0, 3);
      case "B":
        return MONTHS[date.getMonth()] as string;
      case "d":
        return pad(date.getDate());
      case "H":
        return pad(date.getHours());
      case "I":
        return pad(hour12);
      case "j":
        return pad(dayOfYear(date), 3);
      case "m":
        return pad(date.getMonth() + 1);
      case "M":
        return pad(date.getMinutes());
      case "p":
        return date.getHours() < 12 ? "AM" : "PM";
      case "S":
        return pad(date.getSeconds());
      case "y":
        return pad(date.getFullYear() % 100);
      case "Y":
        return String(date.getFullYear());
      default:
        return "%";
    }
  });
}

function dayOfYear(date: Date): number {
  const start = new Date(date.getFullYear(), 0, 1);
  const today = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  return Math.round((today.getTime() - start.getTime()) / 86_400_000) + 1;
}

/** Whether a template reads the clock (calls `strftime_now`): only then does a job need to pin a date. */
export function templateReadsDate(source: string | null | undefined): boolean {
  return typeof source === "string" && source.includes("strftime_now");
}

/** `date` as the `YYYY-MM-DD` string jobs record (local calendar day). */
export function templateDateString(date: Date = new Date()): string {
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Local noon of a `YYYY-MM-DD` that names a real calendar day, else null. */
function localNoon(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const date = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 12);
  return date.getMonth() === Number(m[2]) - 1 && date.getDate() === Number(m[3]) ? date : null;
}

/** Whether `value` is a day as jobs record it: `YYYY-MM-DD`, a real calendar day (for schema checks). */
export function isTemplateDate(value: unknown): value is string {
  return typeof value === "string" && localNoon(value) !== null;
}

/**
 * A recorded `YYYY-MM-DD` as the time a template reads: local noon of that day, so `%d %b %Y` gives the day
 * whatever the time zone. `where` names the field or flag in the error.
 */
export function parseTemplateDate(text: string, where: string): Date {
  const date = localNoon(text);
  if (date === null)
    throw new ModelFileError(
      where,
      `expected a date as YYYY-MM-DD (e.g. 2024-07-26), found ${JSON.stringify(text)}`,
    );
  return date;
}
