import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Tests that start programs (the fake macOS, the root script, the CLI) are named *.integration.test.ts. */
const INTEGRATION = ["test/**/*.integration.test.ts"];

export default defineConfig({
  resolve: {
    // @raycast/api ships types only; Raycast provides the runtime. Tests use in-memory stand-ins.
    alias: {
      "@raycast/api": here("test/mocks/raycast-api.tsx"),
      "@raycast/utils": here("test/mocks/raycast-utils.ts"),
    },
  },
  test: {
    globalSetup: ["test/global-setup.ts"],
    setupFiles: ["test/setup-file.ts"],
    // A safety net, not a speed check: the slowest test takes a few seconds on a busy 2-core machine.
    testTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/**/*.test.ts", "test/**/*.test.tsx"],
          exclude: INTEGRATION,
          // Pure code: one module registry per worker (imports dominate otherwise), both cores.
          isolate: false,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      // Mostly waiting on processes: more test files at once than cores keeps both cores busy.
      {
        extends: true,
        test: { name: "integration", include: INTEGRATION, isolate: false, maxWorkers: 3, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
