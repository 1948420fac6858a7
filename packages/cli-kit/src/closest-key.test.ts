import { describe, expect, it } from "vitest";
import { closestKey, refuseUnknownOptions } from "./closest-key.js";

describe("closestKey", () => {
  it("finds the key a misspelling meant: case and underscores aside, or within two edits", () => {
    expect(closestKey("samplng", ["n", "sampling"])).toBe("sampling");
    expect(closestKey("MAX_NEW_TOKENS", ["maxNewTokens", "seed"])).toBe("maxNewTokens");
    expect(closestKey("zzzzzz", ["n", "sampling"])).toBeUndefined();
    // Two letters swapped are one edit: "form" meant "from", not "work" (two substitutions away).
    expect(closestKey("form", ["work", "from"])).toBe("from");
    expect(closestKey("tempreature", ["temperature", "top-p"])).toBe("temperature");
  });
});

describe("refuseUnknownOptions", () => {
  it("names the first unknown key with a suggestion and the known ones; undefined values pass", () => {
    const fail = (m: string) => new RangeError(m);
    expect(() => refuseUnknownOptions({ temprature: 1 }, ["temperature", "seed"], "run", fail)).toThrow(
      'run: unknown option "temprature" (did you mean "temperature"?); known options: temperature, seed',
    );
    expect(() => refuseUnknownOptions({ seed: 1, other: undefined }, ["seed"], "run", fail)).not.toThrow();
  });
});
