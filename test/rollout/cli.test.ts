/**
 * The rollout CLI: offline commands end to end (rehearse, plan: no Pulumi CLI, no credentials), argument and
 * scenario errors (exit 2 with the key path), and the stack commands on a twin world through the same
 * `main` a terminal runs (history and status read the durable store, not the runner).
 */
import * as assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { type DepsFactory, main } from "../../rollout/cli";
import type { RehearsalReport } from "../../rollout/rehearse/report";
import { TwinWorld } from "../../rollout/twin/world";
import { capture } from "../support/project";
import { ROOT } from "../support/stacks";
import { NEW_IMAGE, sharedEvaluator } from "../support/twin";

const run = (argv: string[]) => {
  const c = capture();
  return main(argv, c.io, undefined, { evaluator: sharedEvaluator() }).then((code) => ({ code, ...c }));
};

describe("rollout CLI", () => {
  it("rehearse --format json: released, every stage go, each traffic stage changes exactly the production listener", async () => {
    const r = await run([
      "rehearse",
      "--stack",
      "prod",
      "--image",
      NEW_IMAGE,
      "--version",
      "1.5.0",
      "--format",
      "json",
      "--dir",
      ROOT,
    ]);
    assert.equal(r.code, 0, r.err.join("\n"));
    const rep = JSON.parse(r.out.join("\n")) as RehearsalReport;
    assert.equal(rep.result, "released");
    assert.equal(rep.exitCode, 0);
    for (const s of rep.stages) assert.equal(s.gate, "go", s.id);
    for (const s of rep.stages.filter((x) => x.kind === "traffic"))
      assert.deepEqual(
        s.changes.map((c) => [c.op, c.type, c.name]),
        [["update", "aws:lb/listener:Listener", "traffic-https"]],
      );
    assert.deepEqual(rep.final, { ...rep.final, live: "green", weights: { blue: 0, green: 100 }, locked: false });
  });

  it("rehearse --alarm-at traffic-50: rolled-back, exit 1, 100 % back on the previous color", async () => {
    const r = await run([
      "rehearse",
      "--stack",
      "prod",
      "--image",
      NEW_IMAGE,
      "--version",
      "1.5.0",
      "--alarm-at",
      "traffic-50",
      "--format",
      "json",
      "--dir",
      ROOT,
    ]);
    assert.equal(r.code, 1);
    const rep = JSON.parse(r.out.join("\n")) as RehearsalReport;
    assert.equal(rep.result, "rolled-back");
    assert.deepEqual(rep.final.weights, { blue: 100, green: 0 });
    assert.deepEqual(
      rep.rollback.phases.map((x) => x.phase),
      ["traffic", "restore"],
    );
    assert.ok((rep.rollback.trafficRestoredAfterSeconds ?? 999) < 120);
  });

  it("plan exits 0 offline and prints each stage's config change and resources", async () => {
    const r = await run(["plan", "--stack", "prod", "--image", NEW_IMAGE, "--version", "1.5.0", "--dir", ROOT]);
    assert.equal(r.code, 0, r.err.join("\n"));
    const text = r.out.join("\n");
    assert.match(text, /^deploy +config: images\.green, version, commit/m);
    assert.match(text, /^traffic-10 +config: canaryWeight/m);
    assert.match(text, /create +aws:rds\/snapshot:Snapshot release-snapshot-1-5-0-9f8e7d6/);
  });

  it("a bad scenario, a bad --then and a bad --at exit 2 naming what is wrong, without a stack trace", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "scenario-")), "s.json");
    writeFileSync(file, JSON.stringify({ colors: [{ color: "purple" }], crash: { at: "Deploy!" } }));
    const bad = await run(["rehearse", "--stack", "prod", "--image", NEW_IMAGE, "--scenario", file, "--dir", ROOT]);
    assert.equal(bad.code, 2);
    assert.match(bad.err.join("\n"), /colors\.0\.color: .*\n.*crash\.at: expected a stage id or rollback-<n>/);
    assert.doesNotMatch(bad.err.join("\n"), /\n\s+at /);
    const then = await run([
      "rehearse",
      "--stack",
      "prod",
      "--image",
      NEW_IMAGE,
      "--then",
      "rollback-in-a-week",
      "--dir",
      ROOT,
    ]);
    assert.equal(then.code, 2);
    assert.match(then.err.join("\n"), /--then rollback-in-a-week: expected <command>@<ISO-8601 duration>/);
    const at = await run(["rehearse", "--stack", "prod", "--image", NEW_IMAGE, "--at", "tomorrow", "--dir", ROOT]);
    assert.equal(at.code, 2);
    assert.match(at.err.join("\n"), /--at must be an ISO-8601 time/);
  });

  it("on a stack: start, then history and status from another machine read the durable store; unlock of another run is refused", async () => {
    const world = await TwinWorld.create({ dir: ROOT, stack: "prod", evaluator: sharedEvaluator() });
    world.versions.set(NEW_IMAGE, "1.5.0"); // what CI published the image as (its /version)
    try {
      const deps: DepsFactory = async (o) =>
        world.driverDeps(world.process(`cli-${o.who}`), { who: o.who, log: o.log });
      const cmd = async (argv: string[]) => {
        const c = capture();
        const code = await world.clock.drive(main([...argv, "--stack", "prod", "--dir", ROOT], c.io, deps));
        return { code, ...c };
      };
      const start = await cmd(["start", "--image", NEW_IMAGE, "--version", "1.5.0", "--who", "ci"]);
      assert.equal(start.code, 0, start.out.slice(-5).join("\n"));
      const history = await cmd(["history", "--who", "laptop"]);
      assert.equal(history.code, 0, history.err.join("\n"));
      assert.match(history.out.join("\n"), /release +released +1\.5\.0 +blue→green +sha-9f8e7d6 +by ci/);
      const status = await cmd(["status", "--who", "laptop"]);
      assert.match(status.out.join("\n"), /stack prod \(memory\): Released\n +deployed: live=green green:100% blue:0%/);
      const unlock = await cmd(["unlock", "--run", "not-a-run"]);
      assert.equal(unlock.code, 2);
      assert.match(unlock.err.join("\n"), /no driver holds prod: nothing to unlock/);
    } finally {
      world.close();
    }
  });
});
