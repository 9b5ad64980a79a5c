#!/usr/bin/env node
// Offline readiness gate: see gate/cli.ts and docs/gate.md.
const path = require("node:path");
require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
require("../gate/cli")
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
