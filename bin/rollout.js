#!/usr/bin/env node
// Progressive rollout driver: see rollout/cli.ts and docs/release.md.
require("../tools/code-cache").install("rollout");
require("../tools/lazy-deps");
const path = require("node:path");
const root = path.join(__dirname, "..");
require("../tools/build").ensureBuild(root);
require("../build/rollout/cli")
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
