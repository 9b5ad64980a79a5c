#!/usr/bin/env node
// Data integrity checks (see dbchecks/cli.ts). Run as a Kubernetes Job by components/integrity-checks.ts.
const path = require("node:path");
require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
require("../dbchecks/cli")
  .main()
  .then((code) => {
    process.exitCode = code;
  });
