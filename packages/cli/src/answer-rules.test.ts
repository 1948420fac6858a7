import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "./default-config.js";
import { resolveConfig } from "./load-config.js";
import { affectedStage } from "./run-pipeline.js";

describe("curation.answerRules in an ssb run config", () => {
  it("is read; the default written out is the default", () => {
    expect(
      resolveConfig({ curation: { answerRules: ["boxed", "answer-tag"] } }).curation.answerRules,
    ).toEqual(["boxed", "answer-tag"]);
    const spelledOut = resolveConfig({ curation: { answerRules: ["boxed"] } });
    expect(spelledOut.curation.answerRules).toBeUndefined();
    expect(affectedStage(DEFAULT_CONFIG, spelledOut)).toBeNull();
  });

  it("reruns from curation when changed", () => {
    const tagged = resolveConfig({ curation: { answerRules: ["boxed", "answer-tag"] } });
    expect(affectedStage(DEFAULT_CONFIG, tagged)?.stage).toBe("curate");
  });

  it("refuses a rule the verifier does not have, naming the field and the closest rule", () => {
    expect(() => resolveConfig({ curation: { answerRules: ["boxed", "anwser-tag"] } }, "run.yaml")).toThrow(
      /run\.yaml.*curation\.answerRules.*unknown rule "anwser-tag", did you mean "answer-tag"\?/s,
    );
    expect(() => resolveConfig({ curation: { answerRules: [] } }, "run.yaml")).toThrow(/answerRules/);
  });
});
