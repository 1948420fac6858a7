import { MATH_TUTOR_SYSTEM_PROMPT as curationPrompt } from "@ssb/curation";
import { DEFAULT_SYSTEM_PROMPT as evalPrompt } from "@ssb/eval";
import { MATH_TUTOR_SYSTEM_PROMPT as rolloutPrompt } from "@ssb/rollout";
import { describe, expect, it } from "vitest";

// The step-by-step commands (ssb-rollout, ssb-curate, ssb-eval) must sample, train and evaluate on one prompt, as
// `ssb run` does; each package keeps its own copy of the text so that none depends on another for it.
describe("the math-tutor system prompt", () => {
  it("is the same text in rollout's CLI default, curation's student prompt and eval's default", () => {
    expect(rolloutPrompt).toBe(curationPrompt);
    expect(evalPrompt).toBe(curationPrompt);
  });
});
