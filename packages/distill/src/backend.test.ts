/** selectBackend's refusals: a native backend asked for by name and missing says why and what to install. */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { selectBackend } from "./backend.js";

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

describe("selectBackend", () => {
  it.skipIf(installed("@tensorflow/tfjs-node-gpu"))(
    "names a missing tfjs-node-gpu and the npm command for this tfjs (it only said no backend could start)",
    async () => {
      await expect(selectBackend("tfjs-node-gpu", () => {})).rejects.toThrow(
        'no tfjs backend could be started (asked for "tfjs-node-gpu"): @tensorflow/tfjs-node-gpu: not installed; ' +
          "npm install @tensorflow/tfjs-node-gpu@4.22.0 (its install script downloads libtensorflow; the GPU build " +
          "also needs the CUDA and cuDNN versions tfjs-node's README lists)",
      );
    },
  );

  it.skipIf(installed("@tensorflow/tfjs-node"))(
    "auto passes over a tfjs-node that is not installed without a word",
    async () => {
      const lines: string[] = [];
      const info = await selectBackend("auto", (line) => lines.push(line));
      expect(info.provider).toBe("wasm");
      expect(lines).toEqual([
        expect.stringMatching(/^\[distill\] tfjs backend: @tensorflow\/tfjs-backend-wasm/),
      ]);
    },
  );

  it("refuses an unknown name, listing the known ones", async () => {
    await expect(selectBackend("gpu" as never, () => {})).rejects.toThrow(
      'unknown tfjs backend "gpu" (use one of auto, tfjs-node-gpu, tfjs-node, wasm, cpu)',
    );
  });
});
