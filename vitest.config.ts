import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["dsl/**/*.test.ts", "compiler/**/*.test.ts", "targets/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["**/node_modules/**", "dist/**"],
    // Type-checking a mesh with the TypeScript compiler API takes seconds on this 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
