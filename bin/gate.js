#!/usr/bin/env node
// Offline readiness gate: see gate/cli.ts and docs/gate.md. Runs the transpiled build/ (rebuilt first when
// a source changed), so neither the gate nor the policy pack process loads the TypeScript compiler.
require("../tools/code-cache").install("gate");
require("../tools/lazy-deps");
const path = require("node:path");
const root = path.join(__dirname, "..");
let cli;
if (process.env.GATE_TS_NODE) {
  require("ts-node").register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
  cli = require("../gate/cli");
} else {
  require("../tools/build").ensureBuild(root);
  cli = require("../build/gate/cli");
}
cli.main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
