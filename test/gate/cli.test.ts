import * as assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { main } from "../../gate/cli";
import { capture, projectCopy } from "../support/project";
import { ROOT } from "../support/stacks";

describe("gate command: arguments and config errors", () => {
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
