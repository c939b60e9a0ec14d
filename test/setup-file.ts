/** Runs in every test file: what the file made outside itself ends with it (its fake-macOS server, its folders). */
import { afterAll } from "vitest";
import { stopServer } from "./fakes/server-process";
import { removeTemporaryDirectories, temporaryDirectory } from "./temporary-directory";

// The user's settings file lives under HOME: no test reads or writes the real one.
process.env.HOME = temporaryDirectory("home-");

afterAll(() => {
  stopServer();
  removeTemporaryDirectories();
});
