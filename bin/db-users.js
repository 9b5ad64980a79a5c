#!/usr/bin/env node
// Least-privilege database users (see dbusers/cli.ts). Run as a Kubernetes Job by components/database-users.ts.
const path = require("node:path");
require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "tsconfig.json") });
require("../dbusers/cli")
  .main()
  .then((code) => {
    process.exitCode = code;
  });
