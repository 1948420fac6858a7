/**
 * Acceptance 4: open an HTML report in headless Chromium (Debian's `chromium`), take a screenshot, and fail on any
 * console error, page error or network request (the report must be self-contained) or on a plot that did not
 * render (an <svg> with no size).
 *
 *   pnpm --filter @ssb/eval check-report [REPORT.html ...] [--screenshot-dir DIR]
 *
 * Without a report path it renders a demo run report and a comparison report from synthetic records first.
 * Chromium is not a CI dependency: the test that calls this skips itself when /usr/bin/chromium is missing.
 */
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { compareRuns } from "../src/compare.js";
import { loadBenchmark } from "../src/load-benchmark.js";
import { mulberry32 } from "../src/prng.js";
import { summarizeRecords } from "../src/summarize.js";
import type { SampleRecord } from "../src/types.js";
import { writeReports } from "../src/write-reports.js";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export interface ReportCheck {
  file: string;
  screenshot: string;
  consoleErrors: string[];
  requests: string[];
  svgCount: number;
  /** SVGs whose rendered box is empty. */
  emptySvgs: number;
}

/** Synthetic records for every shipped benchmark (real ids, subjects and levels), accuracy set per run. */
function syntheticRecords(skill: number, seed: number): SampleRecord[] {
  const rng = mulberry32(seed);
  const out: SampleRecord[] = [];
  for (const name of ["gsm8k", "math500", "aime24"]) {
    const limit = name === "gsm8k" ? 200 : undefined;
    for (const p of loadBenchmark(name, limit !== undefined ? { limit } : {}).problems) {
      const difficulty = name === "aime24" ? 0.9 : typeof p.level === "number" ? p.level / 6 : 0.4;
      for (let s = 0; s < 4; s++) {
        const correct = rng() < skill * (1 - difficulty) + 0.05;
        const tokens = Math.floor(100 + rng() * 900 * (0.5 + difficulty));
        const record: SampleRecord = {
          benchmark: name,
          problemId: p.id,
          sampleIndex: s,
          gold: p.answer,
          text: "",
          extracted: correct ? p.answer : rng() < 0.8 ? "0" : null,
          correct,
          verdict: correct ? "correct" : "wrong",
          reason: "",
          tokens: Math.min(1024, tokens),
          finishReason: tokens >= 1024 ? "length" : "stop",
        };
        if (p.subject !== undefined) record.subject = p.subject;
        if (p.level !== undefined) record.level = p.level;
        out.push(record);
      }
    }
  }
  return out;
}

/** Write a demo run report and a comparison report; returns their HTML paths. */
export function writeDemoReports(dir: string): string[] {
  const a = syntheticRecords(0.7, 1);
  const b = syntheticRecords(0.8, 2);
  const options = {
    bootstrap: { resamples: 1000 },
    maxTokens: 1024,
    equivalent: (x: string, y: string) => x === y,
  };
  const sa = summarizeRecords(a, { name: "base", n: 4, seed: 0 }, options);
  const sb = summarizeRecords(b, { name: "base+ssb-lora", n: 4, seed: 0 }, options);
  const runDir = join(dir, "run");
  const cmpDir = join(dir, "compare");
  mkdirSync(runDir, { recursive: true });
  mkdirSync(cmpDir, { recursive: true });
  const run = writeReports(runDir, [sa]);
  const cmp = writeReports(cmpDir, [sa, sb], compareRuns(a, b, { a: "base", b: "base+ssb-lora" }));
  return [run.html, cmp.html];
}

export async function checkReports(files: readonly string[], screenshotDir: string): Promise<ReportCheck[]> {
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium)`);
  mkdirSync(screenshotDir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
  const results: ReportCheck[] = [];
  try {
    for (const [i, file] of files.entries()) {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const consoleErrors: string[] = [];
      const requests: string[] = [];
      page.on("console", (msg) => {
        if (msg.type() === "error" || msg.type() === "warning")
          consoleErrors.push(`${msg.type()}: ${msg.text()}`);
      });
      page.on("pageerror", (error) => consoleErrors.push(`pageerror: ${error.message}`));
      page.on("request", (request) => {
        if (!request.url().startsWith("file:")) requests.push(request.url());
      });
      const url = pathToFileURL(resolve(file)).href;
      await page.goto(url, { waitUntil: "load" });
      const boxes = await page.$$eval("svg", (svgs) =>
        svgs.map((s) => {
          const r = s.getBoundingClientRect();
          return r.width * r.height;
        }),
      );
      const screenshot = join(screenshotDir, `report-${i}.png`);
      await page.screenshot({ path: screenshot, fullPage: true });
      results.push({
        file,
        screenshot,
        consoleErrors,
        requests,
        svgCount: boxes.length,
        emptySvgs: boxes.filter((a) => !(a > 0)).length,
      });
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return results;
}

async function cli(): Promise<number> {
  const args = process.argv.slice(2);
  const at = args.indexOf("--screenshot-dir");
  const screenshotDir = at >= 0 ? (args[at + 1] ?? ".") : mkdtempSync(join(tmpdir(), "ssb-eval-shots-"));
  const files = args.filter((a, i) => a !== "--screenshot-dir" && (at < 0 || i !== at + 1));
  const targets = files.length > 0 ? files : writeDemoReports(mkdtempSync(join(tmpdir(), "ssb-eval-demo-")));
  const results = await checkReports(targets, screenshotDir);
  let failed = false;
  for (const r of results) {
    const ok = r.consoleErrors.length === 0 && r.requests.length === 0 && r.svgCount > 0 && r.emptySvgs === 0;
    failed ||= !ok;
    console.log(
      `${ok ? "ok  " : "FAIL"} ${r.file}: ${r.svgCount} plots (${r.emptySvgs} empty), ` +
        `${r.consoleErrors.length} console errors, ${r.requests.length} network requests; screenshot ${r.screenshot}`,
    );
    for (const e of [...r.consoleErrors, ...r.requests]) console.log(`     ${e}`);
  }
  return failed ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await cli();
}
