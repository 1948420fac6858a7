import { afterEach, describe, expect, it, vi } from "vitest";
import { createReporter, type Reporter, warnLine } from "./reporter.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("warnLine", () => {
  it("shows warnings even when the reporter is quiet", () => {
    const written: string[] = [];
    const reporter = createReporter({ write: (text: string) => written.push(text) }, true);
    reporter.info("hidden");
    warnLine(reporter, "kept");
    expect(written).toEqual(["warning: kept\n"]);
  });

  it("falls back to stderr for a reporter written before warn existed", () => {
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const legacy: Reporter = { info: () => {}, bar: () => ({ update() {}, finish() {} }) };
    warnLine(legacy, "still seen");
    expect(stderr).toHaveBeenCalledWith("warning: still seen\n");
  });
});
