import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    // A macrotask turn before each test (see the file): vitest's 60 s worker RPC timeout.
    setupFiles: ["../../vitest.setup.ts"],
    testTimeout: 60_000,
  },
});
