// Bundles the killswitch CLI into one CommonJS file so the `bin` entry runs with plain node.
import { build } from "esbuild";

await build({
  entryPoints: ["src/killswitch.ts"],
  outfile: "dist-cli/killswitch.cjs",
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  logLevel: "warning",
});
