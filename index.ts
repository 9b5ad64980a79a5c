/**
 * The Pulumi program: one stack = one environment of the API + worker. Loads and validates the stack
 * configuration (config/), then builds the parts in deployment order (program/: data, platform, edge,
 * workloads, observability) and returns the stack outputs. Exported as a function so the CLI and the
 * offline gate run the very same code.
 */
import { loadContext } from "./program/context";
import { createData, createObjectStorage } from "./program/data";
import { createEdge, createTraffic } from "./program/edge";
import { createAlerting, createObservability } from "./program/observability";
import { stackOutputs } from "./program/outputs";
import { createPlatform } from "./program/platform";
import { createColors, createMigration, createRestoreChecks, createSmokeTest, createWorker } from "./program/workloads";

export = async () => {
  const ctx = loadContext();
  const alerts = createAlerting(ctx);
  const { db, releaseSnapshot, backups } = createData(ctx, alerts);
  const objects = createObjectStorage(ctx);
  const platform = createPlatform(ctx, db, objects);
  const lb = createEdge(ctx);
  const migration = createMigration(ctx, platform, releaseSnapshot);
  const colors = createColors(ctx, platform, lb, migration);
  const smoke = createSmokeTest(ctx, platform, colors[ctx.bg.underTest]);
  const listener = createTraffic(ctx, lb, smoke.job);
  const worker = createWorker(ctx, platform, migration);
  createRestoreChecks(ctx, platform);
  const { colorAlarms } = createObservability(ctx, { lb, db, ns: platform.ns, alerts });
  return stackOutputs(ctx, {
    alerts,
    db,
    releaseSnapshot,
    backups,
    objects,
    appSecrets: platform.appSecrets,
    lb,
    listener,
    migration,
    worker,
    colorAlarms,
  });
};
