/** The release-* policies: their violating fixtures (fixtures/release.ts) against the real pack, and their own cases. */
import * as assert from "node:assert/strict";
import { evaluate, startPack } from "../support/policy";
import { describeArea, diagnosticsOf } from "./area";

describeArea("release", ({ packs, plans }) => {
  it("release-window: a deploy outside the window is refused, inside it passes (injected clock)", async () => {
    const pack = packs.prod;
    try {
      await pack.process.configure({
        ...pack.config,
        "release-window": { ...pack.config["release-window"], properties: { at: "2026-11-25T12:30:00Z" } },
      });
      const late = diagnosticsOf(await evaluate(pack, plans.prod, plans.prod), "release-window");
      assert.equal(late.length, 1);
      assert.match(
        late[0].message,
        /2026-11-25T12:30:00\.000Z is after the release window \(2026-11-25T09:00:00Z – 2026-11-25T12:00:00Z\)/,
      );
      assert.equal(late[0].enforcementLevel, "mandatory");
      await pack.process.configure({
        ...pack.config,
        "release-window": { ...pack.config["release-window"], properties: { at: "2026-11-25T08:00:00Z" } },
      });
      assert.match(
        diagnosticsOf(await evaluate(pack, plans.prod, plans.prod), "release-window")[0].message,
        /is before the release window/,
      );
    } finally {
      await pack.process.configure(pack.config);
    }
    assert.deepEqual(diagnosticsOf(await evaluate(pack, plans.prod, plans.prod), "release-window"), []);
  });
  it("release-metadata: a stack config without rollback owner is refused (policy reads PULUMI_CONFIG)", async () => {
    const pack = await startPack("prod", { release: { rollbackOwner: " " } });
    try {
      const hits = diagnosticsOf(await evaluate(pack, plans.prod, plans.prod), "release-metadata");
      assert.equal(hits.length, 1);
      assert.match(hits[0].message, /app:release is missing rollbackOwner/);
    } finally {
      pack.process.close();
    }
  });
});
