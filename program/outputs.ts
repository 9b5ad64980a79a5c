/**
 * The stack outputs. The rollout driver reads an allow-listed few (rollout/ topology): the production
 * listener, target groups, alarm names, topics; keep their names stable.
 */
import type { AlertTopic } from "../components/alert-topic";
import type { AppSecrets } from "../components/app-secrets";
import type { Backups } from "../components/backups";
import type { Color } from "../components/blue-green";
import type { BlueGreenLoadBalancer } from "../components/blue-green-load-balancer";
import type { ColorAlarms } from "../components/color-alarms";
import type { Database } from "../components/database";
import type { ObjectStorage } from "../components/object-storage";
import type { ProductionListener } from "../components/production-listener";
import type { ReleaseSnapshot } from "../components/release-snapshot";
import type { Worker } from "../components/worker";
import type { Ctx } from "./context";
import type { Migration } from "./workloads";

export interface Built {
  alerts: AlertTopic;
  db: Database;
  releaseSnapshot: ReleaseSnapshot;
  backups: Backups;
  objects: ObjectStorage;
  appSecrets: AppSecrets;
  lb: BlueGreenLoadBalancer;
  listener: ProductionListener;
  migration?: Migration;
  worker: Worker;
  colorAlarms: Record<Color, ColorAlarms>;
}

export function stackOutputs({ config, bg }: Ctx, b: Built) {
  return {
    environment: config.environment,
    release: config.release.version,
    liveColor: bg.live,
    testColor: bg.underTest,
    releaseColor: bg.underTest,
    weights: b.listener.weights,
    url: `https://${config.tls.hostname}`,
    testUrl: `https://${config.tls.hostname}:${config.tls.testListenerPort}`,
    loadBalancerDnsName: b.lb.dnsName,
    targetGroupArns: { blue: b.lb.targetGroups.blue.arn, green: b.lb.targetGroups.green.arn },
    // The rollout driver restores traffic on a rollback with one ModifyListener call on this listener.
    productionListenerArn: b.listener.listener.arn,
    ...(b.migration ? { migrationJob: b.migration.jobName } : {}),
    alertTopicArn: b.alerts.arn,
    releaseTopicArn: b.alerts.releasesArn,
    rollbackAlarms: { blue: b.colorAlarms.blue.rollbackAlarmName, green: b.colorAlarms.green.rollbackAlarmName },
    workerReplicas: b.worker.deployment.spec.replicas,
    databaseIdentifier: b.db.identifier,
    databaseEndpoint: b.db.address,
    ...(b.db.restored ? { restoredDatabaseIdentifier: b.db.restored.identifier } : {}),
    releaseSnapshotIdentifier: b.releaseSnapshot.snapshotIdentifier,
    backupVaultArn: b.backups.vaultArn,
    bucketName: b.objects.bucketName,
    appSecretArn: b.appSecrets.secretArn,
  };
}
