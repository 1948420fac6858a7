import { withoutApproximation } from "./approximation.js";
import { matchBrace } from "./latex-scan.js";

/** An answer after string-level clean-up, with what was stripped that still matters for comparison. */
export interface NormalizedAnswer {
  text: string;
  /** A `%` (or "percent") was removed: `50\%` may equal `50` or `0.5`. */
  percent: boolean;
}

/** Commands whose argument is kept as plain text: `\text{Evelyn}` → `Evelyn`. */
const TEXT_COMMANDS = [
  "text",
  "textbf",
  "textit",
  "textrm",
  "textnormal",
  "mbox",
  "mathrm",
  "mathbf",
  "mathit",
  "operatorname",
  "boxed",
  "fbox",
  "hbox",
  "emph",
  "textsf",
  "mathsf",
  // Bold and typewriter styles as models write them: `\boldsymbol{\frac{1}{4}}` is `\frac{1}{4}`.
  "boldsymbol",
  "bm",
  "textup",
  "texttt",
  "mathtt",
];

/**
 * Replaces `\cmd{arg}` by ` arg ` for TEXT_COMMANDS, scanning once (linear time, no regex backtracking
 * over nested braces). An unclosed brace leaves the rest of the text unchanged.
 */
function unwrapCommands(text: string): string {
  const pattern = TEXT_COMMAND;
  let out = "";
  let last = 0;
  pattern.lastIndex = 0;
  for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
    const open = m.index + m[0].length - 1;
    const close = matchBrace(text, open);
    if (close < 0) break;
    out += `${text.slice(last, m.index)} ${text.slice(open + 1, close - 1)} `;
    last = close;
    pattern.lastIndex = close;
  }
  return out + text.slice(last);
}

/** `\text{`, `\mathrm {`, ...: built once (it was built at every call, now up to four calls per answer). */
const TEXT_COMMAND = new RegExp(`\\\\(?:${TEXT_COMMANDS.join("|")})\\s*\\{`, "g");

const UNICODE_LATEX: Record<string, string> = {
  "∞": "\\infty ",
  "∪": "\\cup ",
  "∩": "\\cap ",
  π: "\\pi ",
  "≤": "\\le ",
  "≥": "\\ge ",
  "≠": "\\ne ",
  "×": "\\times ",
  "·": "\\cdot ",
  "−": "-",
  "≈": "\\approx ",
};
const UNICODE_SYMBOL = /[∞∪∩π≤≥≠×·−≈]/g;

/**
 * Unicode fractions, division, roots and powers, as models and hand-made gold files write them: `½` is
 * `\frac{1}{2}` (so `3½` is the mixed number `3\frac{1}{2}`), `6÷3` is `6/3`, `√13` is `\sqrt{13}`, `x²` is
 * `x^{2}`. Read as text they matched nothing (`½` ≠ `\frac12`, `0.5`).
 */
const VULGAR_FRACTIONS: Record<string, string> = {
  "½": "1/2",
  "⅓": "1/3",
  "⅔": "2/3",
  "¼": "1/4",
  "¾": "3/4",
  "⅕": "1/5",
  "⅖": "2/5",
  "⅗": "3/5",
  "⅘": "4/5",
  "⅙": "1/6",
  "⅚": "5/6",
  "⅐": "1/7",
  "⅛": "1/8",
  "⅜": "3/8",
  "⅝": "5/8",
  "⅞": "7/8",
  "⅑": "1/9",
  "⅒": "1/10",
};
const VULGAR_FRACTION = /[½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅐⅛⅜⅝⅞⅑⅒]/g;
const SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹";
const SUPERSCRIPT = /⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+/g;
/** `√13`, `√x`: the radicand is the number or letter after the sign (`√(x+1)` is left to `\sqrt`'s own reading). */
const ROOT = /√\s*(\d+(?:\.\d+)?|[a-zA-Z])/g;
const UNICODE_MATH = /[½⅓⅔¼¾⅕⅖⅗⅘⅙⅚⅐⅛⅜⅝⅞⅑⅒÷√⁰¹²³⁴⁵⁶⁷⁸⁹]/;

function unicodeMathToLatex(s: string): string {
  return s
    .replace(VULGAR_FRACTION, (ch) => {
      const [num, den] = (VULGAR_FRACTIONS[ch] as string).split("/");
      return `\\frac{${num}}{${den}}`;
    })
    .replace(/÷/g, "/")
    .replace(SUPERSCRIPT, (sup) => {
      const digits = [...sup.replace("⁻", "")].map((ch) => SUPERSCRIPT_DIGITS.indexOf(ch)).join("");
      return `^{${sup.startsWith("⁻") ? "-" : ""}${digits}}`;
    })
    .replace(ROOT, (_all, radicand: string) => `\\sqrt{${radicand}}`)
    .replace(/√/g, "\\sqrt");
}

const MAX_UNWRAP_PASSES = 4;

/** `\sin 60^\circ`, `\cos(45^{\circ})`, `\tan 22.5°`: a trigonometric function of a number of degrees. */
const TRIG_OF_DEGREES =
  /\\(sin|cos|tan|cot|sec|csc)(?![a-zA-Z])\s*(\()?\s*(-?\d+(?:\.\d+)?)\s*(?:\^\s*\{?\s*\\circ\s*\}?|°|\\degree(?![a-zA-Z]))\s*(\))?/g;

/**
 * `\frac{\sqrt{3}}3` → `\frac{\sqrt{3}}{3}`: an unbraced one-character denominator after a numerator with
 * groups inside (the regex before this handles flat numerators). Each `\frac` scans to its numerator's end, so
 * only answer-sized text is scanned (quadratic at worst in deeply nested input).
 */
function braceFractionDenominators(text: string): string {
  if (text.length > 2_000 || !text.includes("\\frac")) return text;
  let out = text;
  const frac = /\\frac\s*\{/g;
  for (let m = frac.exec(out); m !== null; m = frac.exec(out)) {
    const close = matchBrace(out, m.index + m[0].length - 1);
    if (close < 0) break;
    const at = close + (/^\s*/.exec(out.slice(close)) as RegExpExecArray)[0].length;
    const ch = out[at] ?? "";
    if (/^[0-9a-zA-Z]$/.test(ch)) out = `${out.slice(0, at)}{${ch}}${out.slice(at + 1)}`;
  }
  return out;
}

function binomial(n: number, k: number): string {
  if (k > n) return "0";
  let r = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) r = (r * (n - i + 1)) / i;
  return Number.isSafeInteger(Math.round(r)) ? String(Math.round(r)) : String(r);
}

const UNIT_WORDS = new Set(
  (
    "cm mm km m meter meters metre metres centimeter centimeters kilometer kilometers inch inches in ft foot feet yd yard " +
    "yards mi mile miles g gram grams kg kilogram kilograms mg lb lbs pound pounds oz ounce ounces s sec second seconds " +
    "min minute minutes h hr hrs hour hours day days week weeks month months year years dollar dollars cent cents unit " +
    "units sq square cubic degree degrees mph kph l ml liter liters litre litres gallon gallons quart quarts cup cups " +
    "people persons students apples pages points percent radians radian rad per each times mps km/h m/s cm^2 cm^3 m^2 " +
    "m^3 ft^2 ft^3 in^2 in^3 units^2 sq.ft euros euro yuan"
  ).split(" "),
);

const SCALING_WORDS =
  /^(?:hundred|thousand|million|billion|trillion|dozen|score|half|halves|thirds?|quarters?|(?:four|fif|six|seven|eigh|nin|ten|hundred|thousand)ths?)s?$/;

/**
 * A value, then words (each optionally `^2`) to the end. Words are separated by spaces, or by nothing after an
 * exponent (`m^2s`), so there is one way to split a run of letters into words: the former pattern,
 * `(?:\s*[a-zA-Z][a-zA-Z./]*...)+`, could split `nothing` as n-o-t-h-i-n-g and took exponential time on prose
 * that does not end in words (56 s on a 90-character sentence with a comma). It matches the same strings,
 * with the same groups.
 */
export const TRAILING_WORDS =
  /^(.*?[\d}]\s*)([a-zA-Z][a-zA-Z./]*(?:\s*\^\s*\{?\d\}?)?(?:(?:\s+|(?<=[\d}]))[a-zA-Z][a-zA-Z./]*(?:\s*\^\s*\{?\d\}?)?)*)\s*$/;

/**
 * `18 dollars`, `5 cm^2`, `12 square units`, `\\frac{270}{7} degrees`, `12\\pi square units`: drop trailing unit
 * words after a value.
 */
function stripTrailingUnits(text: string): { text: string; percent: boolean } {
  const stripped = stripUnitsAfterValue(text);
  if (stripped.text !== text) return stripped;
  // After `\pi` as after a closing brace (TRAILING_WORDS wants the value to end in a digit or `}`): known
  // units of two letters or more, so `2\pi r` keeps its `r`.
  const pi = /\\pi(?![a-zA-Z])/g;
  let last = -1;
  for (let m = pi.exec(text); m !== null; m = pi.exec(text)) last = m.index + m[0].length;
  if (last < 0) return stripped;
  const tail = stripUnitsAfterValue(`}${text.slice(last)}`);
  if (tail.text === `}${text.slice(last)}`) return stripped;
  return { text: `${text.slice(0, last)}${tail.text.slice(1)}`.trim(), percent: tail.percent };
}

function stripUnitsAfterValue(text: string): { text: string; percent: boolean } {
  const m = TRAILING_WORDS.exec(text);
  if (!m) return { text, percent: false };
  const head = m[1] as string;
  const words = (m[2] as string)
    .trim()
    .replace(/\s*\^\s*/g, "^")
    .split(/\s+/)
    .map((w) => w.toLowerCase().replace(/\^\{?(\d)\}?$/, ""));
  if (/[=,]/.test(head.replace(/\d,\d{3}/g, ""))) return { text, percent: false };
  const afterDigit = /\d\s*$/.test(head);
  const spaced = /\s$/.test(head) || words.length > 1;
  // After a digit, known units go (`5cm`, `5 m`), and with a space any run of real words (`18 apples`); after a
  // closing brace (`\\frac{1}{2} inches`) only known units of two letters or more, so `\\frac{1}{2} x` survives.
  // One letter glued to a number (`4m`, `2s`) is a product with a variable, as LaTeX reads it (`4m` equalled 4);
  // with a space (`4 m`, or `4\text{m}` unwrapped) it is a unit.
  const gap = /\s$/.test(head);
  const known = words.every((w) => UNIT_WORDS.has(w) && (w.length >= 2 || (afterDigit && gap)));
  // Words that scale the value are not units: `5 million` is not 5, `3 halves` not 3.
  const wordy = afterDigit && spaced && words.every((w) => /^[a-z]{3,}$/.test(w) && !SCALING_WORDS.test(w));
  if (!known && !wordy) return { text, percent: false };
  const percent = words.some((w) => w === "percent");
  return { text: head.trim(), percent };
}

/**
 * String-level normalisation of a final answer: strips delimiters, spacing commands, `\left`/`\right`, text
 * wrappers, units, degree marks, currency and percent signs, a leading `x =`, and a trailing period; rewrites
 * `\dfrac`/`\tfrac` and `\frac12`/`\sqrt2` shorthands. Structure (lists, intervals, matrices) is left intact.
 */
/**
 * A plain number (`72`, `-3`, `1,234.50`): every rule below leaves it as it is, so it skips them. Most answers in
 * integer datasets (GSM8K) are such numbers, and the rules were two thirds of grading one.
 */
const PLAIN_NUMBER = /^[-+]?\d[\d,]*(?:\.\d+)?$/;

export function normalizeAnswer(raw: string): NormalizedAnswer {
  const trimmed = raw.trim();
  if (PLAIN_NUMBER.test(trimmed)) return { text: trimmed, percent: false };
  return normalizeByRules(trimmed);
}

/** normalizeAnswer without the plain-number short-cut (exported for the test that they agree). */
export function normalizeByRules(raw: string): NormalizedAnswer {
  let s = raw.trim();
  let percent = false;

  s = s
    .replace(/^\$+|\$+$/g, "")
    .replace(/^\\\(|\\\)$/g, "")
    .replace(/^\\\[|\\\]$/g, "");
  // Symbols written as Unicode rather than LaTeX: `(2,∞)`, `(0,9)∪(9,36)`, `2π`, `x ≤ 3`, `−3`.
  s = s.replace(UNICODE_SYMBOL, (ch) => UNICODE_LATEX[ch] ?? ch);
  if (UNICODE_MATH.test(s)) s = unicodeMathToLatex(s);
  s = s.replace(/\\(?:dfrac|tfrac|cfrac)/g, "\\frac").replace(/\\(?:dbinom|tbinom)/g, "\\binom");
  s = s.replace(/\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|big|Big|bigg|Bigg)(?![a-zA-Z])\s*/g, "");
  s = s.replace(/\\(?:displaystyle|textstyle|scriptstyle|limits)(?![a-zA-Z])/g, "");
  s = s.replace(/\{,\}/g, ",").replace(/,\s*\\!\s*/g, ",");
  // A number with thousands separators alone in a group is one number: `\frac{20,000}{\pi}`.
  s = s.replace(
    /(?<!\\)\{\s*(-?\d{1,3}(?:,\d{3})+(?:\.\d+)?)\s*\}/g,
    (_m, n: string) => `{${n.replace(/,/g, "")}}`,
  );
  // Spacing commands become spaces; a `\\` row break (even one followed by a space) is kept whole.
  s = s.replace(/\\\\|\\[,:;! ]|\\q?quad(?![a-zA-Z])|~/g, (m) => (m === "\\\\" ? m : " "));

  // A trigonometric function of degrees takes radians: `\sin 60^\circ` is sin(π/3), not sin(60) once the mark
  // below is gone (it was refused against `\frac{\sqrt{3}}{2}`).
  s = s.replace(
    TRIG_OF_DEGREES,
    (_m, fn: string, open: string | undefined, deg: string, close: string | undefined) =>
      (open === undefined) === (close === undefined) ? `\\${fn}(\\frac{${deg}\\pi}{180})` : _m,
  );
  // Degrees: `90^\circ`, `90^{\circ}`, `90°`, `90\degree`, and `90^o` after a number (a letter o as the mark).
  s = s.replace(
    /\^\s*\{?\s*\\circ\s*\}?|°|\\degree(?![a-zA-Z])|\\circ(?![a-zA-Z])|(?<=\d\s*)\^\s*\{?o\}?(?![a-zA-Z])/g,
    "",
  );

  if (/\\%|%/.test(s)) {
    percent = true;
    s = s.replace(/\\%|%/g, "");
  }
  s = s.replace(/\\\$|\$|\\textdollar(?![a-zA-Z])|[€£¥]|\\euro(?![a-zA-Z])|\\pounds(?![a-zA-Z])/g, "");
  // `5.4¢` is 5.4 cents: the unit word below is dropped after a value, the sign was not.
  s = s.replace(/¢|\\(?:text)?cent(?![a-zA-Z])/g, " cents");

  // Nested wrappers (`\boxed{\text{(C)}}`, `\textbf{\text{Evelyn}}`) need a pass per level; a few passes cover
  // what answers use and keep 10^4-deep adversarial nesting linear.
  for (let pass = 0; pass < MAX_UNWRAP_PASSES; pass++) {
    const unwrapped = unwrapCommands(s);
    if (unwrapped === s) break;
    s = unwrapped;
  }
  // The real line, however it is written, is the interval (-∞, ∞).
  // (`\text{all real numbers}` is unwrapped with spaces around it: they were read as part of the words.)
  s = s.replace(/\\mathbb\s*\{?\s*R\s*\}?|^\s*all real numbers\s*$/g, "(-\\infty,\\infty)");

  s = s.replace(/\\frac\s*(\d)\s*(\d)/g, "\\frac{$1}{$2}");
  s = s.replace(/\\frac\s*(\\?[a-zA-Z]+|\d)\s*\{/g, "\\frac{$1}{");
  s = s.replace(/\\frac\s*(\{[^{}]*\})\s*(\d|[a-zA-Z])/g, "\\frac$1{$2}");
  s = braceFractionDenominators(s);
  s = s.replace(/\\sqrt\s*(\d+|[a-zA-Z])/g, "\\sqrt{$1}");
  // The LaTeX parser does not know `\binom`; integer binomials become their value.
  s = s.replace(/\\binom\s*\{\s*(\d{1,4})\s*\}\s*\{\s*(\d{1,4})\s*\}/g, (_m, n: string, k: string) =>
    binomial(Number(n), Number(k)),
  );

  s = s.replace(/\s+/g, " ").trim();
  s = s.replace(/[.;]+$/, "").trim();
  // Markdown bold inside a box, `\boxed{**25**}`: the answer, not a product.
  s = s.replace(/^\*\*(.+)\*\*$/, "$1").trim();
  // A residue's modulus after it, `25 \pmod{1000}`, `25 (mod 1000)`: the answer is the residue.
  s = s.replace(/\s*(?:\\pmod\s*\{[^{}]*\}|\\pmod\s*\d+|\(\s*(?:\\bmod|\\mod|mod)\s*\d+\s*\))$/, "").trim();
  s = s.replace(/(?<!\\)\b(?:infinity|inf)\b/gi, "\\infty");
  s = withoutApproximation(s);

  // "x \in [1, 2)": membership is the answer's set. (`x = 5` is kept: equivalence.ts decides, knowing both sides.)
  const membership = /^(?:[a-zA-Z](?:_\{?\w+\}?)?|\\[a-zA-Z]+)\s*\\in(?![a-zA-Z])\s*(.+)$/.exec(s);
  if (membership) s = (membership[1] as string).trim();

  const units = stripTrailingUnits(s);
  s = units.text;
  percent ||= units.percent;

  // Multiple choice: `(C)`, `\text{(C)}`, `C)` → `C`.
  const choice = /^\(?([A-E])\)$/.exec(s);
  if (choice) s = choice[1] as string;

  s = s.replace(/\s+/g, " ").trim();
  return { text: s, percent };
}

const NAME = String.raw`(?:[a-zA-Z](?:_\{?\w+\}?)?|\\[a-zA-Z]+)`;
/** A lone name (`x`, `x_1`, `\theta`), `f(x)`, or a tuple of names (`(a,b)`, `(r, \theta)`). */
const SIMPLE_LHS = new RegExp(
  String.raw`^(?:${NAME}|[a-zA-Z]\([a-z]\)|\(\s*${NAME}(?:\s*,\s*${NAME})+\s*\))$`,
);

/**
 * `x = 5`, `\theta = 30`, `f(x) = 2x`, `(a,b) = (15,-29)`: the right-hand side, when the left is a lone name or
 * a tuple of names; else null.
 */
export function assignedValue(text: string): string | null {
  const eq = text.indexOf("=");
  if (eq < 0 || text.indexOf("=", eq + 1) >= 0) return null;
  const lhs = text.slice(0, eq).trim();
  const rhs = text.slice(eq + 1).trim();
  return SIMPLE_LHS.test(lhs) && rhs.length > 0 ? rhs : null;
}

/**
 * `m + n = 25`, `AB = 25`, `P(A) = \frac{1}{2}`, `m+n = 7+18 = 25`: the quantity asked for, named by letters
 * alone, then its value (the last side); null else. AIME asks for `m+n`, and models box the equation, graded
 * wrong against `025` (Math-Verify reads the last side of any equation against a gold that is none). A left
 * side with a number in it is an equation still to solve (`x + 1 = 25` says x is 24), not a value: null.
 */
export function quantityValue(text: string): string | null {
  const sides = text.split("=");
  if (sides.length < 2 || sides.length > 4) return null;
  const lhs = (sides[0] as string).trim();
  const value = (sides[sides.length - 1] as string).trim();
  if (!/[a-zA-Z]/.test(lhs) || /[\d<>!]/.test(lhs) || value.length === 0) return null;
  return value;
}

/**
 * A key for exact-match short-cuts: normalised text without whitespace, single-character groups unbraced
 * (`52_{8}` = `52_8`). Whitespace between two digits stays (as one space): `1 2` is not `12`, nor `1 1/2` (the
 * mixed number 1½) `11/2`; spaced thousands (`1 000`) are read as numbers by parseSimpleNumber instead.
 */
export function compactKey(text: string): string {
  if (!/\s/.test(text)) return text.replace(/([_^])\{(\w)\}/g, "$1$2");
  return text
    .replace(/\s+/g, (space: string, at: number, whole: string) =>
      /\d/.test(whole[at - 1] ?? "") && /\d/.test(whole[at + space.length] ?? "") ? " " : "",
    )
    .replace(/([_^])\{(\w)\}/g, "$1$2");
}
