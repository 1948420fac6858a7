/** Markdown tables of summaries and comparisons: what goes into a README, a PR or a paper draft. */
import type { Interval } from "./bootstrap.js";
import type { RunComparison } from "./compare.js";
import { comparisonTable } from "./comparison-table.js";
import { distinctRunNames } from "./distinct-run-names.js";
import { formatPercent } from "./format-percent.js";
import { comparisonNotes, isCollapsed, levelText, runSettingsLines, summaryNotes } from "./report-notes.js";
import type { RunSummary } from "./summarize.js";

/**
 * `42.0 [38.1, 46.2]` (percent); `0.0 (no CI)` when the interval collapsed to a point (every problem scored the
 * same): `[0.0, 0.0]` read as certainty. The report's notes say why.
 */
export function formatInterval(i: Interval | undefined): string {
  if (i === undefined) return "–";
  if (isCollapsed(i)) return `${formatPercent(i.estimate)} (no CI)`;
  return `${formatPercent(i.estimate)} [${formatPercent(i.lower)}, ${formatPercent(i.upper)}]`;
}

/**
 * Text from a run, benchmark or subject name as Markdown shows it literally. A `|` in a name (a run folder
 * `a|b`, a subject field) split its table row into one cell more than the header; a `<` let a name such as
 * `<script>` or `<b>` reach a renderer as HTML (only a `<` that can open a tag is escaped: `< 1e-300` stays); a
 * line break ended the row; `*`, a backtick, `~~`, `[..](..)` and `&amp;` turned a name such as `*base*` or
 * `runs/[a](b)` into emphasis, code, strikethrough, a link or an entity. Only what can change the rendering
 * is escaped (an underscore inside a word, `max_new_tokens`, cannot; a lone `~` cannot), so the raw text stays
 * readable where it is printed to a terminal.
 */
export function markdownText(text: string): string {
  const strike = (text.match(/~/g)?.length ?? 0) >= 2;
  return (
    text
      .replace(/\r\n|[\r\n]/g, " ")
      // A backslash before ASCII punctuation is an escape in CommonMark: double it to show it.
      .replace(/\\(?=[!-/:-@[-`{-~])/g, "\\\\")
      .replace(/\||<(?=[A-Za-z/!?])|[*`]|\[(?=[^\]]*\]\()|&(?=#?[A-Za-z0-9]+;)/g, (c) => `\\${c}`)
      // An underscore opens or closes emphasis only where a word does not continue on both sides.
      .replace(/(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])/g, "\\_")
      .replace(/~/g, (c) => (strike ? `\\${c}` : c))
  );
}

/** Notes as a Markdown list (with its blank line), or nothing. */
function noteList(notes: readonly string[]): string[] {
  return notes.length === 0 ? [] : [...notes.map((n) => `- ${markdownText(n)}`), ""];
}

function table(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  align: readonly ("l" | "r")[],
): string {
  const sep = align.map((a) => (a === "r" ? "---:" : "---"));
  return [header.map(markdownText), sep, ...rows.map((r) => r.map(markdownText))]
    .map((r) => `| ${r.join(" | ")} |`)
    .join("\n");
}

export function summaryMarkdown(summaries: readonly RunSummary[]): string {
  const runs = distinctRunNames(summaries);
  const out: string[] = [];
  const first = runs[0];
  const level = first ? levelText(first.bootstrap.level) : "95";
  out.push("## Accuracy", "");
  out.push(
    `pass@1 is the mean over samples; pass@k is Chen et al.'s unbiased estimator; maj@k is a majority vote over ` +
      `equivalent answers. Percent, with ${level}% percentile-bootstrap CIs over problems (${first?.bootstrap.resamples ?? 0} ` +
      `resamples, seed ${first?.bootstrap.seed ?? 0}); n is samples per problem.`,
    "",
  );
  out.push(...noteList(runSettingsLines(runs)));
  const ks = [...new Set(runs.flatMap((r) => r.benchmarks.flatMap((b) => Object.keys(b.passAtK))))]
    .map(Number)
    .sort((a, b) => a - b)
    .filter((k) => k > 1);
  const majKs = [...new Set(runs.flatMap((r) => r.benchmarks.flatMap((b) => Object.keys(b.majAtK))))]
    .map(Number)
    .sort((a, b) => a - b);
  const header = [
    "run",
    "benchmark",
    "problems",
    "n",
    "pass@1",
    ...ks.map((k) => `pass@${k}`),
    ...majKs.map((k) => `maj@${k}`),
    "no answer %",
    "truncated %",
    "mean tokens",
  ];
  const rows = runs.flatMap((run) =>
    run.benchmarks.map((b) => [
      run.run.name,
      b.benchmark,
      String(b.problems),
      String(b.samplesPerProblem),
      formatInterval(b.pass1),
      ...ks.map((k) => formatInterval(b.passAtK[String(k)])),
      ...majKs.map((k) => formatInterval(b.majAtK[String(k)])),
      formatPercent(b.noAnswerRate),
      formatPercent(b.truncationRate),
      Number.isFinite(b.length.mean) ? b.length.mean.toFixed(1) : "n/a",
    ]),
  );
  out.push(
    table(
      header,
      rows,
      header.map((_, i) => (i < 2 ? "l" : "r")),
    ),
    "",
  );
  out.push(...noteList(summaryNotes(runs)));

  for (const [what, pick] of [
    ["subject", (b: RunSummary["benchmarks"][number]) => b.bySubject],
    ["level", (b: RunSummary["benchmarks"][number]) => b.byLevel],
  ] as const) {
    for (const run of runs) {
      for (const b of run.benchmarks) {
        const groups = pick(b);
        if (groups === undefined) continue;
        out.push(`### ${markdownText(b.benchmark)} by ${what} (${markdownText(run.run.name)})`, "");
        out.push(
          table(
            [what, "problems", "pass@1"],
            groups.map((g) => [g.group, String(g.problems), formatInterval(g.pass1)]),
            ["l", "r", "r"],
          ),
          "",
        );
      }
    }
  }
  return `${out.join("\n")}\n`;
}

export function comparisonMarkdown(cmp: RunComparison): string {
  const [a, b] = [markdownText(cmp.a), markdownText(cmp.b)];
  const out: string[] = [`## ${b} vs ${a}`, ""];
  out.push(
    `Difference = pass@1(${b}) − pass@1(${a}) in points on the problems both runs answered, with a paired ` +
      `${levelText(cmp.bootstrap.level)}% percentile-bootstrap CI (${cmp.bootstrap.resamples} resamples, seed ${cmp.bootstrap.seed}). ` +
      `McNemar (exact binomial, two-sided) only for single-sample runs.`,
    "",
  );
  const { header, rows } = comparisonTable(cmp);
  out.push(
    table(
      header,
      rows,
      header.map((_, i) => (i < 1 ? "l" : "r")),
    ),
    "",
  );
  out.push(...noteList(comparisonNotes(cmp)));
  return `${out.join("\n")}\n`;
}
