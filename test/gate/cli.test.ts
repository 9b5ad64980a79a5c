import * as assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { main } from "../../gate/cli";
import { ROOT } from "../support/stacks";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) }, out, err };
}

/** A copy of the project files a user would edit, so a test can break a stack file. */
function projectCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "gate-"));
  for (const f of ["Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"])
    cpSync(path.join(ROOT, f), path.join(dir, f));
  writeFileSync(path.join(dir, "index.ts"), `export = require(${JSON.stringify(path.join(ROOT, "index"))});\n`);
  return dir;
}

describe("gate command (foundation)", () => {
  it("exits 2 with every config problem and its fix, no stack trace", async () => {
    const dir = projectCopy();
    const file = path.join(dir, "Pulumi.staging.yaml");
    writeFileSync(
      file,
      readFileSync(file, "utf8")
        .replace("canaryWeight: 10", "canaryWeight: 150")
        .replace("approver: jane.doe", 'approver: ""'),
    );
    const c = capture();
    const code = await main(["--stack", "staging", "--dir", dir], c.io);
    assert.equal(code, 2);
    const text = c.err.join("\n");
    assert.match(text, /app:blueGreen\.canaryWeight: expected a percentage from 0 to 100; found 150/);
    assert.match(text, /app:release\.approver/);
    assert.match(text, /fix: pulumi config set --path/);
    assert.doesNotMatch(text, /\n\s+at .+\(.*:\d+:\d+\)/, "a stack trace was printed");
  });

  it("exits 2 naming the known stacks when the stack file does not exist", async () => {
    const c = capture();
    assert.equal(await main(["--stack", "qa", "--dir", ROOT], c.io), 2);
    assert.match(c.err.join("\n"), /no stack file Pulumi\.qa\.yaml .*known stacks: prod, staging/);
  });

  it("exits 2 with usage when --stack is missing", async () => {
    const c = capture();
    assert.equal(await main([], c.io), 2);
    assert.match(c.err.join("\n"), /--stack is required/);
  });
});
