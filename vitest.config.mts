import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Tests that start programs (the fake macOS, the root script, the CLI) are named *.integration.test.ts. */
const INTEGRATION = ["test/**/*.integration.test.ts"];
/** The week on the fake Mac (test/week), a few minutes long: its own tier, `npm run test:week`, which CI runs too. */
const WEEK = ["test/**/*.week.test.ts"];

/**
 * Unit test files that replace modules (`vi.mock`): each gets its own module registry, so a mock never leaks
 * into another file's imports, whatever order the files run in. Found by reading the files, so a new one
 * cannot be forgotten here.
 */
function filesThatMock(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return filesThatMock(path);
    const unitTest = /\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith(".integration.test.ts");
    return unitTest && readFileSync(path, "utf8").includes("vi.mock(") ? [relative(here("."), path)] : [];
  });
}
const MOCKING = filesThatMock(here("test"));

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
          exclude: [...INTEGRATION, ...WEEK, ...MOCKING],
          // Pure code: one module registry per worker (imports dominate otherwise), both cores.
          isolate: false,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: "mocking", include: MOCKING, isolate: true, maxWorkers: 2, sequence: { groupOrder: 0 } },
      },
      // Mostly waiting on processes: more test files at once than cores keeps both cores busy.
      {
        extends: true,
        test: { name: "integration", include: INTEGRATION, isolate: false, maxWorkers: 3, sequence: { groupOrder: 1 } },
      },
      // Not in `npm test`: scripts/test.mjs names the tiers it runs. One file, its weeks side by side: the programs
      // they start use both cores.
      { extends: true, test: { name: "week", include: WEEK, sequence: { groupOrder: 2 } } },
    ],
  },
});
