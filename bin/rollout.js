#!/usr/bin/env -S node --max-semi-space-size=64
// A larger young generation: a rehearsal captures the program under the mocks at every stage, and with
// V8's default one a third of that is garbage collection (docs/gate.md "Profile"); V8 sizes it when the
// process starts, so it is given here, where the executable starts (npm's bin link and `npm run rollout`
// run this file; `node bin/rollout.js` bypasses this line and runs with node's defaults).
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
