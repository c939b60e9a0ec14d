import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // @raycast/api ships types only; Raycast provides the runtime. Tests use in-memory stand-ins.
    alias: {
      "@raycast/api": here("test/mocks/raycast-api.tsx"),
      "@raycast/utils": here("test/mocks/raycast-utils.ts"),
    },
  },
  test: {
    include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
    testTimeout: 20000,
  },
});
