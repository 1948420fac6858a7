/**
 * `reward.rules`: the verifier's extraction rules the default reward reads answers with. R1-Zero / open-r1
 * prompts ask for `<think>...</think><answer>42</answer>`; with the boxed-only default every such completion got
 * the noAnswer reward, and nothing in the config or on the command line could change that.
 */
import { describe, expect, it } from "vitest";
import { answerRulesFlag, checkAnswerRules } from "./answer-rules.js";
import {
  DEFAULT_GRPO_CONFIG,
  resolveGrpoConfig,
  trajectoryDifferences,
  trajectoryKey,
} from "./grpo-config.js";
import { verifierReward } from "./rewards.js";
import type { SampledCompletion } from "./sample-groups.js";

function completion(
  text: string,
  finishReason: SampledCompletion["finishReason"] = "stop",
): SampledCompletion {
  return { problemId: "p", sampleIndex: 0, promptIds: [], tokenIds: [], text, finishReason };
}

const problem = { id: "p", question: "6 * 7?", answer: "42" };
const r1Zero = "<think>6 * 7 is 42, and 40 would be wrong.</think><answer>42</answer>";
const scheme = { correct: 1, wrong: -0.5, noAnswer: -1 };

describe("the default reward's answer extraction rules", () => {
  it("rewards an R1-Zero answer block with boxed,answer-tag; the boxed-only default gives it noAnswer", () => {
    const replies = [
      completion(r1Zero),
      completion("<think>6 * 7 = 40</think><answer>40</answer>"),
      completion("so \\boxed{42}"),
      // Cut at the token limit: no answer, whatever it wrote before the cut (as with boxes).
      completion("<think>hm</think><answer>42</answer> and on", "length"),
    ];
    const tagged = verifierReward({ ...scheme, rules: ["boxed", "answer-tag"] })(problem, replies);
    expect(tagged).toEqual({ rewards: [1, -0.5, 1, -1], correct: [true, false, true, false] });
    for (const settings of [scheme, { ...scheme, rules: ["boxed"] as const }])
      expect(verifierReward(settings)(problem, replies)).toEqual({
        rewards: [-1, -1, 1, -1],
        correct: [false, false, true, false],
      });
  });

  it("resolveGrpoConfig refuses a bad reward.rules naming the field, the closest rule and every rule", () => {
    const valid = "valid rules: boxed, gsm8k, final-answer, answer-is, dollar, answer-tag, last-number";
    expect(() => resolveGrpoConfig({ reward: { rules: ["boxed", "anwser-tag"] as never } })).toThrow(
      `GRPO config: "reward.rules": unknown rule "anwser-tag", did you mean "answer-tag"? (${valid})`,
    );
    expect(() => resolveGrpoConfig({ reward: { rules: [] } })).toThrow(
      `GRPO config: "reward.rules" must be a non-empty list of extraction rules (${valid}), found an empty list`,
    );
    expect(() => resolveGrpoConfig({ reward: { rules: "boxed" as never } })).toThrow(
      /"reward.rules" must be a/,
    );
    expect(() => resolveGrpoConfig({ reward: { rules: ["boxed", "boxed"] } })).toThrow(
      'GRPO config: "reward.rules": rule "boxed" is given twice',
    );
    expect(() => checkAnswerRules(["xyz"], "here")).toThrow(`here: unknown rule "xyz" (${valid})`);
  });

  it("--answer-rules is split on commas; a bad name is a usage error naming the flag and the field", () => {
    expect(answerRulesFlag(undefined)).toBeUndefined();
    expect(answerRulesFlag("boxed, answer-tag")).toEqual(["boxed", "answer-tag"]);
    let thrown: unknown;
    try {
      answerRulesFlag("boxed,anwser-tag");
    } catch (error) {
      thrown = error;
    }
    expect((thrown as Error).name).toBe("UsageError");
    expect((thrown as Error).message).toMatch(
      /^--answer-rules \(the config's reward\.rules\): unknown rule "anwser-tag", did you mean "answer-tag"\? \(valid rules: boxed, /,
    );
  });

  it("the default is recorded as nothing: configs and trajectory keys without the setting are unchanged", () => {
    const plain = resolveGrpoConfig();
    expect(plain.reward).toEqual({ correct: 1, wrong: 0, noAnswer: 0 });
    expect(DEFAULT_GRPO_CONFIG.reward).toEqual({ correct: 1, wrong: 0, noAnswer: 0 });
    const spelledOut = resolveGrpoConfig({ reward: { rules: ["boxed"] } });
    expect(JSON.stringify(spelledOut)).toBe(JSON.stringify(plain));
    expect(trajectoryKey(plain)).not.toContain("rules");
    // A config built by hand with the default spelled out is keyed as one without it.
    expect(trajectoryKey({ ...plain, reward: { ...plain.reward, rules: ["boxed"] } })).toBe(
      trajectoryKey(plain),
    );
    // The key of the default config, as it was before the setting (what older checkpoints are compared by).
    expect(trajectoryKey(plain)).toBe(
      '{"seed":0,"steps":20,"problemsPerStep":8,"groupSize":8,"iterations":1,"variant":"grpo","advantage":"grpo","aggregation":"token","clipEpsilon":0.2,"clipEpsilonHigh":0.2,"beta":0,"logKl":false,"sampling":{"temperature":1,"maxNewTokens":256,"topK":0,"topP":1},"reward":{"correct":1,"wrong":0,"noAnswer":0},"lora":{"r":16,"alpha":32,"dropout":0},"optimizer":{"lr":0.0002,"schedule":"constant","warmupSteps":0,"weightDecay":0,"maxGradNorm":1,"beta1":0.9,"beta2":0.999,"eps":1e-8},"systemPrompt":null}',
    );
  });

  it("other rules are part of the trajectory, named with the default's when a resume changes them", () => {
    const plain = resolveGrpoConfig();
    const tagged = resolveGrpoConfig({ reward: { rules: ["boxed", "answer-tag"] } });
    expect(tagged.reward.rules).toEqual(["boxed", "answer-tag"]);
    expect(trajectoryKey(tagged)).not.toBe(trajectoryKey(plain));
    expect(trajectoryDifferences(tagged, plain)).toEqual([
      'reward.rules: ["boxed","answer-tag"] -> ["boxed"]',
    ]);
    expect(trajectoryDifferences(plain, tagged)).toEqual([
      'reward.rules: ["boxed"] -> ["boxed","answer-tag"]',
    ]);
    // The order is the precedence: another order is another reward.
    const reversed = resolveGrpoConfig({ reward: { rules: ["answer-tag", "boxed"] } });
    expect(trajectoryDifferences(tagged, reversed)).toHaveLength(1);
    expect(
      trajectoryDifferences(tagged, resolveGrpoConfig({ reward: { rules: ["boxed", "answer-tag"] } })),
    ).toEqual([]);
  });
});
