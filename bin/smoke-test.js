#!/usr/bin/env node
// Smoke test of a color (see smoke/cli.ts). Run by the SmokeTestGate command during `pulumi up`.
const path = require("node:path");
require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
require("../smoke/cli")
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
