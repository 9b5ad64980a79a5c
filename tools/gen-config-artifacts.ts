/**
 * `npm run gen`: writes the generated artifacts (JSON Schema of the stack files, configuration reference,
 * policy reference). `npm run gen -- --check` exits 1 when a committed copy is stale.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { renderArtifacts } from "../config/artifacts";
import { policyConfigFiles } from "./policy-config";
import { POLICY_DOCS_FILE, policyDocs } from "./policy-docs";
import { READINESS_DOCS_FILE, readinessDocs } from "./readiness-matrix";
import { SIGNALS_DOCS_FILE, signalsDocs } from "./signals-docs";

const root = path.join(__dirname, "..");
const check = process.argv.includes("--check");
let stale = 0;
for (const [file, content] of Object.entries({
  ...renderArtifacts(),
  ...policyConfigFiles(),
  [POLICY_DOCS_FILE]: policyDocs(),
  [READINESS_DOCS_FILE]: readinessDocs(),
  [SIGNALS_DOCS_FILE]: signalsDocs(),
})) {
  const target = path.join(root, file);
  let current = "";
  try {
    current = readFileSync(target, "utf8");
  } catch {
    current = "";
  }
  if (current === content) continue;
  if (check) {
    console.error(`${file} is stale: run npm run gen`);
    stale++;
  } else {
    writeFileSync(target, content);
    console.log(`wrote ${file}`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
