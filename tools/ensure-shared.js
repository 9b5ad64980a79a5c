// Preloaded (mocha .mocharc.json `require`, npm run gen / bench `-r`) before anything imports @app-rollout/shared,
// entry is the compiled shared/dist (node_modules/@app-rollout/shared links to shared/), so it is rebuilt
// first when a shared/src file changed. tools/run-tests.js builds it before starting parallel groups.
const path = require("node:path");
require("./build").ensureShared(path.join(__dirname, ".."));
