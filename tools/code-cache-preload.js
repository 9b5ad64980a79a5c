// Preloaded (node -r) into the gate's policy pack process (gate/runtime.ts packEntry): tools/code-cache.js
// under the name of the pack's entry point. The gate stops its pack with SIGTERM, so the cache is also
// written then.
const path = require("node:path");

const entry = path.relative(path.join(__dirname, ".."), process.argv[1] ?? "eval");
require("./code-cache").install(entry.replace(/[^\w.]+/g, "-"), { flushOnSigterm: true });
