import { describe, expect, it } from "vitest";
import { unknownTargetModules } from "./target-modules.js";
import { resolveTrainConfig, type TrainConfigInput } from "./train-config.js";

const parse = (json: string): TrainConfigInput => JSON.parse(json) as TrainConfigInput;

describe("resolveTrainConfig refuses, naming the source", () => {
  it("null, an array or a number instead of an object of settings", () => {
    expect(() => resolveTrainConfig(null as unknown as TrainConfigInput, "kd.json")).toThrow(
      "kd.json: expected an object of settings, found null",
    );
    expect(() => resolveTrainConfig([] as unknown as TrainConfigInput, "kd.json")).toThrow(
      "kd.json: expected an object of settings, found []",
    );
    expect(() => resolveTrainConfig(3 as unknown as TrainConfigInput, "kd.json")).toThrow(
      "kd.json: expected an object of settings, found 3",
    );
  });

  it("fields inherited from Object.prototype (constructor, toString, __proto__) as unknown fields", () => {
    expect(() => resolveTrainConfig(parse('{"constructor": 1}'), "kd.json")).toThrow(
      'kd.json: unknown field "constructor"',
    );
    expect(() => resolveTrainConfig(parse('{"toString": "x"}'), "kd.json")).toThrow(
      'kd.json: unknown field "toString"',
    );
    expect(() => resolveTrainConfig(parse('{"loss": {"toString": "x"}}'), "kd.json")).toThrow(
      'kd.json: unknown field "loss.toString"',
    );
    expect(() => resolveTrainConfig(parse('{"__proto__": {"mode": "sft"}}'), "kd.json")).toThrow(
      'kd.json: unknown field "__proto__"',
    );
  });

  it("kdWeight 0 and ceWeight 0 in kd mode (the loss is 0: nothing trains); either one alone is fine", () => {
    expect(() => resolveTrainConfig({ loss: { kdWeight: 0, ceWeight: 0 } }, "--set")).toThrow(
      '--set: fields "loss.kdWeight" and "loss.ceWeight" are both 0 in kd mode, so nothing would train; set one > 0',
    );
    expect(resolveTrainConfig({ loss: { kdWeight: 0, ceWeight: 1 } }).loss.ceWeight).toBe(1);
    // SFT trains on CE whatever the weights say.
    const sft = resolveTrainConfig({ mode: "sft", loss: { kdWeight: 0, ceWeight: 0 } });
    expect([sft.loss.kdWeight, sft.loss.ceWeight]).toEqual([0, 1]);
  });

  it("a misspelled module among good ones in lora.targetModules, listing the valid ones", () => {
    expect(() => resolveTrainConfig({ lora: { targetModules: ["q_proj", "v_projj"] } }, "kd.json")).toThrow(
      'kd.json: field "lora.targetModules" names no projection module: "v_projj" (valid: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj)',
    );
    const ok = ["q_proj", "self_attn.v_proj", "mlp.down_proj", "model.layers.3.self_attn.o_proj"];
    expect(resolveTrainConfig({ lora: { targetModules: ok } }).lora.targetModules).toEqual(ok);
    // A regex string is matched against full paths later (and refused there if it matches nothing).
    expect(resolveTrainConfig({ lora: { targetModules: ".*_proj" } }).lora.targetModules).toBe(".*_proj");
  });
});

describe("unknownTargetModules", () => {
  it("applies PEFT's suffix rule to the decoder's module paths", () => {
    expect(unknownTargetModules(["q_proj", "up_proj", "layers.12.mlp.gate_proj"])).toEqual([]);
    expect(
      unknownTargetModules(["mlp.q_proj", "self_attn.gate_proj", "proj", "layers.x.self_attn.q_proj"]),
    ).toEqual(["mlp.q_proj", "self_attn.gate_proj", "proj", "layers.x.self_attn.q_proj"]);
  });
});
