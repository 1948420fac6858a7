import { describe, expect, it } from "vitest";
import { packageVersionLine, printVersion } from "./version.js";

const own = new URL("./version.ts", import.meta.url).href; // src/version.ts: its package.json is one folder up

describe("--version", () => {
  it("names the package and its version from the package.json above the command's folder", () => {
    expect(packageVersionLine(own)).toMatch(/^@ssb\/cli-kit \d+\.\d+\.\d+/);
  });

  it("prints only for --version or -V alone", () => {
    let out = "";
    const stream = {
      write: (text: string) => {
        out += text;
      },
    };
    expect(printVersion(["--version"], own, stream)).toBe(true);
    expect(printVersion(["-V"], own, stream)).toBe(true);
    expect(out).toBe(`${packageVersionLine(own)}\n`.repeat(2));
    expect(printVersion([], own, stream)).toBe(false);
    expect(printVersion(["--version", "--help"], own, stream)).toBe(false);
    expect(printVersion(["run", "--version"], own, stream)).toBe(false);
  });
});
