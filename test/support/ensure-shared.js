// Loaded by mocha before any spec (.mocharc.json `require`): the specs import @app-rollout/shared, whose
// entry is the compiled shared/dist (node_modules/@app-rollout/shared links to shared/), so it is rebuilt
// first when a shared/src file changed. tools/run-tests.js builds it before starting parallel groups.
const path = require("node:path");
require("../../tools/build").ensureShared(path.join(__dirname, "..", ".."));
