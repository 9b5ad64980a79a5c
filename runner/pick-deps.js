#!/usr/bin/env node
// Prints a package.json with only the runner image's runtime dependencies, at the versions the
// repository's package.json pins: one place for versions (runner/Dockerfile).
const fs = require("node:fs");

const RUNTIME = ["pg", "ts-node", "typescript"];
const root = JSON.parse(fs.readFileSync(process.argv[2] ?? "package.json", "utf8"));
const dependencies = {};
for (const name of RUNTIME) {
  const version = root.dependencies?.[name];
  if (!version) {
    console.error(`runner/pick-deps.js: ${name} is not a dependency in package.json`);
    process.exit(2);
  }
  dependencies[name] = version;
}
process.stdout.write(`${JSON.stringify({ name: "app-runner", private: true, dependencies }, null, 2)}\n`);
