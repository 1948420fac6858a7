import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { loadCompareConfig, resolveCompareConfig } from "./compare-config.js";
import { pinnedDifferences } from "./pinned-settings.js";

const here = path.dirname(fileURLToPath(import.meta.url));
/** config.json as runComparison writes it: the config without workDir, through JSON. */
const asPinned = (config: object): unknown => JSON.parse(JSON.stringify({ ...config, workDir: undefined }));

it("a run started with the built-in defaults continues with config.yaml, which spells them out", () => {
  const builtIn = loadCompareConfig().config;
  const fromFile = loadCompareConfig(path.join(here, "config.yaml")).config;
  // The sections are written differently (config.yaml's ssb section lists rollout and distill settings) ...
  expect(fromFile.ssb).not.toEqual(builtIn.ssb);
  // ... but resolve to the same settings, in both directions.
  expect(pinnedDifferences(asPinned(builtIn), fromFile)).toEqual([]);
  expect(pinnedDifferences(asPinned(fromFile), builtIn)).toEqual([]);
});

it("names each setting that differs in effect", () => {
  const builtIn = loadCompareConfig().config;
  const changed = resolveCompareConfig({
    grpo: { steps: 31 },
    ssb: { distill: { epochs: 3 }, rollout: { topK: 50 } },
  }).config;
  expect(pinnedDifferences(asPinned(builtIn), changed)).toEqual(["grpo.steps", "ssb.distill.epochs"]);
  const otherSeed = resolveCompareConfig({ seed: 5 }).config;
  // The seed is GRPO's too (it defaults to the top-level one).
  expect(pinnedDifferences(asPinned(builtIn), otherSeed)).toEqual(["grpo.seed", "seed"]);
});

it("compares a stored config that no longer validates as written", () => {
  const builtIn = loadCompareConfig().config;
  const stored = { ...(asPinned(builtIn) as object), retired: 1 };
  expect(pinnedDifferences(stored, builtIn)).toEqual(["retired"]);
});
