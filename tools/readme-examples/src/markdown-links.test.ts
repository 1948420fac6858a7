import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { deadLinks, isLocalTarget, markdownLinks } from "./markdown-links.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

describe("markdownLinks", () => {
  it("finds links outside code, with their lines", () => {
    const md = [
      'See [a](docs/a.md) and [b](b.md#part "title").', // 1
      "`[not](a-link.md)` but [c](https://example.com)", // 2
      "```",
      "[inside](fence.md)",
      "```",
      "[d](#anchor)", // 6
    ].join("\n");
    expect(markdownLinks(md)).toEqual([
      { line: 1, target: "docs/a.md" },
      { line: 1, target: "b.md#part" },
      { line: 2, target: "https://example.com" },
      { line: 6, target: "#anchor" },
    ]);
    expect(
      ["docs/a.md", "b.md#part", "https://example.com", "#anchor", "mailto:x@y"].map(isLocalTarget),
    ).toEqual([true, true, false, false, false]);
  });

  it("reports a link to a file that is not there, by file and line", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "md-links-"));
    try {
      writeFileSync(path.join(dir, "here.md"), "# here\n");
      const file = path.join(dir, "README.md");
      expect(deadLinks(file, "[ok](here.md#here)\n[gone](gone.md)\n[dir](.)\n")).toEqual([
        `${file}:2: gone.md`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the repository's Markdown", () => {
  it("has no relative link to a file or folder that does not exist", () => {
    const files = execFileSync("git", ["ls-files", "*.md"], { cwd: root, encoding: "utf8" })
      .split("\n")
      .filter((f) => f !== "");
    expect(files.length).toBeGreaterThan(10);
    const dead = files.flatMap((f) =>
      deadLinks(path.join(root, f), readFileSync(path.join(root, f), "utf8")),
    );
    expect(dead.map((d) => path.relative(root, d))).toEqual([]);
  });
});
