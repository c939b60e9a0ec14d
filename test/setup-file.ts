/**
 * Runs in every test file: the folders the file made end with it. The fake-macOS server outlives the file: the
 * next files of the same process use it too (test/fakes/server-process.ts).
 */
import { afterAll } from "vitest";
import { removeTemporaryDirectories, temporaryDirectory } from "./temporary-directory";

// The user's settings file lives under HOME: no test reads or writes the real one.
process.env.HOME = temporaryDirectory("home-");

afterAll(() => {
  removeTemporaryDirectories();
});
