/**
 * Acceptance 4 in the test suite: the demo reports render in headless Chromium with their plots, no console
 * errors and no network requests. Chromium is not a CI dependency, so without /usr/bin/chromium (or
 * $CHROMIUM_PATH) this test is skipped — install it with `apt-get install -y chromium` to run it.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CHROMIUM_PATH, checkReports, writeDemoReports } from "../scripts/check-report.js";

const available = existsSync(CHROMIUM_PATH);
if (!available)
  console.warn(
    `report-chromium.test.ts skipped: no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium)`,
  );
const root = mkdtempSync(join(tmpdir(), "ssb-eval-chromium-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(!available)("HTML report in headless Chromium", () => {
  it("renders every plot with no console errors and no network requests", async () => {
    const files = writeDemoReports(join(root, "reports"));
    const results = await checkReports(files, join(root, "shots"));
    expect(results).toHaveLength(2);
    for (const r of results) {
      expect(r.consoleErrors, r.file).toEqual([]);
      expect(r.requests, r.file).toEqual([]);
      expect(r.svgCount, r.file).toBeGreaterThanOrEqual(6);
      expect(r.emptySvgs, r.file).toBe(0);
      expect(existsSync(r.screenshot)).toBe(true);
    }
  }, 60_000);
});
