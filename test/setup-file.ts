/** Runs in every test file: what the file made outside itself ends with it (its fake-macOS server, its folders). */
import { afterAll } from "vitest";
import { stopServer } from "./fakes/server-process";
import { removeTemporaryDirectories } from "./temporary-directory";

afterAll(() => {
  stopServer();
  removeTemporaryDirectories();
});
