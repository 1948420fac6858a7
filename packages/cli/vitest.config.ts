import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // A macrotask turn before each test (see the file): vitest's 60 s worker RPC timeout.
    setupFiles: ["../../vitest.setup.ts"],
    testTimeout: 60_000,
    // The pipeline tests each run ONNX Runtime and tfjs; running them side by side on a 2-core machine only
    // makes both slower.
    fileParallelism: false,
  },
});
