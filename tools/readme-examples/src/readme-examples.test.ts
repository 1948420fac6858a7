import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseReadmeExamples } from "./readme-blocks.js";
import { packedFiles, runReadmeExample } from "./run-example.js";

describe("parseReadmeExamples", () => {
  it("takes only blocks marked runnable, with the line of their opening fence", () => {
    const md = [
      "# demo", // 1
      "```ts", // 2
      "fragment();",
      "```",
      "```ts runnable", // 5
      'console.log("a");',
      "```",
      "~~~~js runnable", // 8
      "```",
      "console.log('b');",
      "~~~~",
    ].join("\n");
    const examples = parseReadmeExamples(md, "README.md");
    expect(examples.map((e) => [e.line, e.language, e.code, e.expectedOutput])).toEqual([
      [5, "ts", 'console.log("a");\n', null],
      [8, "js", "```\nconsole.log('b');\n", null],
    ]);
  });

  it("reads the output block that follows an example, with one line of prose between at most", () => {
    const md = [
      "```ts runnable",
      "console.log(1);",
      "```",
      "",
      "Prints:",
      "",
      "```text output",
      "1",
      "```",
      "```ts runnable",
      "console.log(2);",
      "```",
      "Some prose.",
      "More prose.",
      "```text output",
      "2",
      "```",
    ].join("\n");
    expect(parseReadmeExamples(md, "README.md").map((e) => e.expectedOutput)).toEqual(["1\n", null]);
  });

  it("names the line of a runnable block left open", () => {
    expect(() => parseReadmeExamples("text\n```ts runnable\nx();\n", "pkg/README.md")).toThrow(
      "pkg/README.md:2: runnable example has no closing ```",
    );
  });
});

describe("runReadmeExample", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "readme-examples-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pkg = path.join(dir, "pkg");
  mkdirSync(path.join(pkg, "dist"), { recursive: true });
  writeFileSync(
    path.join(pkg, "package.json"),
    JSON.stringify({
      name: "@demo/pkg",
      version: "1.0.0",
      type: "module",
      exports: { ".": "./dist/index.js" },
    }),
  );
  writeFileSync(path.join(pkg, "dist", "index.js"), "export const double = (x) => 2 * x;\n");

  it("imports the package by its name and runs TypeScript in the given folder", async () => {
    const work = path.join(dir, "work");
    mkdirSync(work);
    writeFileSync(path.join(work, "input.txt"), "21");
    const code = [
      'import { readFileSync } from "node:fs";',
      'import { double } from "@demo/pkg";',
      'const x: number = Number(readFileSync("input.txt", "utf8"));',
      "console.log(double(x));",
    ].join("\n");
    const run = await runReadmeExample(
      { file: "README.md", line: 3, language: "ts", code, expectedOutput: null },
      { packageDir: pkg, cwd: work },
    );
    expect(run).toMatchObject({ status: 0, stdout: "42\n", where: "README.md:3" });
  });

  it("reports a failing example's status and stderr", async () => {
    const code = 'import { triple } from "@demo/pkg";\ntriple(1);\n';
    const run = await runReadmeExample(
      { file: "README.md", line: 9, language: "ts", code, expectedOutput: null },
      { packageDir: pkg },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("triple");
  });

  it("holds only the files npm would publish: one left out of `files` is missing for the example", async () => {
    const lean = path.join(dir, "lean");
    mkdirSync(path.join(lean, "dist"), { recursive: true });
    mkdirSync(path.join(lean, "data"), { recursive: true });
    writeFileSync(
      path.join(lean, "package.json"),
      JSON.stringify({
        name: "@demo/lean",
        version: "1.0.0",
        type: "module",
        files: ["dist"],
        exports: { ".": "./dist/index.js" },
      }),
    );
    // The module reads a data file beside it at run time; "files" forgets data/.
    writeFileSync(
      path.join(lean, "dist", "index.js"),
      'import { readFileSync } from "node:fs";\nexport const table = () => readFileSync(new URL("../data/t.txt", import.meta.url), "utf8");\n',
    );
    writeFileSync(path.join(lean, "data", "t.txt"), "x");
    expect(packedFiles(lean).sort()).toEqual(["dist/index.js", "package.json"]);
    const code = 'import { table } from "@demo/lean";\nconsole.log(table());\n';
    const run = await runReadmeExample(
      { file: "README.md", line: 4, language: "ts", code, expectedOutput: null },
      { packageDir: lean },
    );
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain("t.txt");
  });
});
