import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: {
    // @raycast/api ships types only; Raycast provides the runtime. Tests use in-memory stand-ins.
    alias: {
      "@raycast/api": resolve(__dirname, "test/mocks/raycast-api.tsx"),
      "@raycast/utils": resolve(__dirname, "test/mocks/raycast-utils.ts"),
    },
  },
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    testTimeout: 20000,
  },
});
