import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 60_000,
    // The pipeline tests each run ONNX Runtime and tfjs; running them side by side on a 2-core machine only
    // makes both slower.
    fileParallelism: false,
  },
});
