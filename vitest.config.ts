import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // Tests import the package by its name, as users do; it resolves to the built output.
    alias: { mcppolicy: fileURLToPath(new URL("./dist/index.js", import.meta.url)) },
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
  },
});
