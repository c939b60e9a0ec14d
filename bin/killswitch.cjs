#!/usr/bin/env node
// Runs the bundled CLI (built by `npm install` through the prepare script).
require("../dist-cli/killswitch.cjs");
