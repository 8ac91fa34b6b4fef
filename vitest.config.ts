import { defineConfig } from "vitest/config";

// Tests import the package by its name, as users do: `mcppolicy` resolves through package.json
// `exports` (self-reference) to the built output in dist/, which `npm test` builds first.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    // Property seeds: new ones locally, one per commit under CI (test/helpers/fast-check-seed.ts).
    setupFiles: ["test/helpers/fast-check-seed.ts"],
  },
});
