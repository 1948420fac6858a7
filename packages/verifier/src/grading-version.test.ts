/**
 * @ssb/eval records the verifier's package version in run.json and regrades a run's records when it differs, so
 * a change of grading must come with a new version, or a resumed evaluation mixes two verifiers' verdicts
 * silently. This test grades a fixed set of replies covering every rule and the equivalence checks, and ties
 * the digest of the results to the version in package.json: a grading change without a version bump fails here.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ALL_EXTRACTION_RULES, grade, VERIFIER_VERSION } from "./index.js";

/** The version whose grading this digest records; bump it, package.json and src/version.ts together. */
const RECORDED = {
  version: "0.3.0",
  digest: "f4a19aa65d23331c39cf66c80c5fe564ba8307b9f9d40c9688a21d9a125ac096",
};

const r = String.raw;

/** [reply, gold]: each rule, thinking and answer blocks, and the equivalence checks' kinds of answers. */
const CANARIES: readonly (readonly [string, string])[] = [
  [r`So the total is \boxed{18}.`, "18"],
  [r`\boxed{\frac{1}{2}}`, "0.5"],
  [r`\boxed{\dfrac{3}{4}}`, r`\frac34`],
  [r`\boxed{1} and then \boxed{2}`, "2"],
  [r`\boxed{x^2 - 1}`, "(x-1)(x+1)"],
  [r`\boxed{(1, 2)}`, "(1,2)"],
  [r`\boxed{[0, 1)}`, "[0,1)"],
  [r`\boxed{\{1, 2, 3\}}`, r`\{3,2,1\}`],
  [r`\boxed{50\%}`, "0.5"],
  [r`\boxed{50\%}`, "50"],
  [r`\boxed{\$1,080}`, "1080"],
  [r`\boxed{18 \text{ dollars}}`, "18"],
  [r`\boxed{x = 5}`, "5"],
  [r`\boxed{\sqrt{2}/2}`, r`\frac{\sqrt{2}}{2}`],
  [r`\boxed{\pi}`, "3.14159"],
  [r`\boxed{2\sqrt{3}}`, r`\sqrt{12}`],
  [r`\boxed{\begin{pmatrix} 1 \\ 2 \end{pmatrix}}`, r`\begin{pmatrix}1\\2\end{pmatrix}`],
  [r`\boxed{-3}`, "3"],
  [r`\boxed{1.0000001}`, "1"],
  [r`\boxed{}`, "0"],
  ["Natalia sold 48/2 = 24 clips.\n#### 72", "72"],
  ["Final Answer: The final answer is 42. I hope it is correct.", "42"],
  ["**Final Answer:**\n\n**7**", "7"],
  ["The answer is 1/2.", "0.5"],
  ["Therefore, the answer is $12$.", "12"],
  ["so we get $x = 4$", "4"],
  ["There are 3 apples and 5 pears, 8 in all", "8"],
  ["<think>\nmaybe \\boxed{3}\n</think>\nThe answer is 4.", "4"],
  ["<think>\nso \\boxed{12}. But wait", "12"],
  ["<think>x</think><answer>42</answer>", "42"],
  ["<think>x</think><answer>The answer is 1/2</answer>", "0.5"],
  [r`\boxed{3} <answer>5</answer>`, "3"],
  ["<think>x</think><answer>42", "42"],
  ["<answer>\n<answer>42</answer>", "42"],
  ["<answer>42</answer> <answer>", "42"],
  [r`<think>x</think>\boxed{5}<answer>`, "5"],
  ["<answer>I could not solve it</answer>", "5"],
  ["no answer here", "1"],
  [r`\boxed{\text{(C)}}`, "C"],
  [r`\boxed{10^{3}}`, "1000"],
  [r`\boxed{1e3}`, "1000"],
  [r`\boxed{\infty}`, r`\infty`],
  [r`\boxed{x \in (-\infty, 2]}`, r`(-\infty,2]`],
  [r`\boxed{3, 5}`, "5, 3"],
  [r`\boxed{3^\circ}`, "3"],
  // 0.3.0
  [r`\boxed{288\pi \approx 904.78}`, r`288\pi`],
  [r`\boxed{x \approx 4.67}`, r`\frac{14}{3}`],
  [r`\boxed{3 < x \le 4}`, "(3,4]"],
  [r`\boxed{x < 2 \text{ or } x > 3}`, r`(-\infty,2)\cup(3,\infty)`],
  [r`\boxed{\{x \mid x > 2\}}`, r`(2,\infty)`],
  [r`\boxed{\textbf{(C)}\ 12}`, r`\text{(C)}`],
  [r`\boxed{\text{an ellipse}}`, r`\text{ellipse}`],
  [r`\boxed{5.4¢}`, r`5.4 \text{ cents}`],
  [r`So it is $\boxed7$.`, "7"],
  ["The solutions are $x=2$ or $x=3$.", "2, 3"],
  [r`\boxed{\frac{1}{2} \text{ or } 0.5}`, "0.5"],
  [
    r`\boxed{\left[\begin{matrix} 1 & 0 \\ 0 & 1 \end{matrix}\right]}`,
    r`\begin{pmatrix}1&0\\0&1\end{pmatrix}`,
  ],
  [r`\boxed{\text{all real numbers}}`, r`(-\infty,\infty)`],
  [r`\boxed{m + n = 7 + 18 = 25}`, "025"],
  [r`\boxed{x + 1 = 25}`, "025"],
  [r`\boxed{25 \pmod{1000}}`, "025"],
  [r`\boxed{**25**}`, "025"],
];

function digestOf(results: unknown): string {
  return createHash("sha256").update(JSON.stringify(results)).digest("hex");
}

describe("the verifier's version", () => {
  it("changes whenever grading does", () => {
    const results = CANARIES.map(([reply, gold]) => {
      // A budget no machine spends: the digest must not depend on how fast this one is.
      const plain = grade(reply, gold, { budgetMs: 60_000 });
      const fallback = grade(reply, gold, { rules: ALL_EXTRACTION_RULES, budgetMs: 60_000 });
      return [
        plain.verdict,
        plain.extracted,
        plain.rule,
        fallback.verdict,
        fallback.extracted,
        fallback.rule,
      ];
    });
    const digest = digestOf(results);
    const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(VERIFIER_VERSION, "src/version.ts's VERIFIER_VERSION is package.json's version").toBe(version);
    expect(
      { version, digest },
      "grading changed (or the version did): bump the version in package.json and record it here with this digest",
    ).toEqual(RECORDED);
  });
});
