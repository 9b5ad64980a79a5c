/** Every readiness policy, as plain objects (the pack, the gate and the docs generator load this list). */
import type { ReadinessPolicy } from "../lib/define";
import { dataBackupCoverage } from "./data/backup-coverage";
import { dataBackupVaultEncrypted } from "./data/backup-vault-encrypted";
import { dataBucketPublicAccess } from "./data/bucket-public-access";
import { dataCrossRegionCopy } from "./data/cross-region-copy";
import { dataCrossRegionPitr } from "./data/cross-region-pitr";
import { dataDeletionSafety } from "./data/deletion-safety";
import { dataDrRestoreTesting } from "./data/dr-restore-testing";
import { dataIntegrityBeforeTraffic } from "./data/integrity-before-traffic";
import { dataKeepAutomatedBackups } from "./data/keep-automated-backups";
import { dataMigrationAfterSnapshot } from "./data/migration-after-snapshot";
import { dataMultiAz } from "./data/multi-az";
import { dataNotPublic } from "./data/not-public";
import { dataPitrRetention } from "./data/pitr-retention";
import { dataReleaseSnapshot } from "./data/release-snapshot";
import { dataRestoreTesting } from "./data/restore-testing";
import { dataStorageEncryptedCmk } from "./data/storage-encrypted-cmk";
import { dataVaultLock } from "./data/vault-lock";
import { edgeAlbHardening } from "./edge/alb-hardening";
import { edgeCertificateRegion } from "./edge/certificate-region";
import { edgeHealthCheck } from "./edge/health-check";
import { edgeHttpRedirectOnly } from "./edge/http-redirect-only";
import { edgeHttpsListener } from "./edge/https-listener";
import { edgeSmokePathConnects } from "./edge/smoke-path-connects";
import { edgeSmokeTestedWeight } from "./edge/smoke-tested-weight";
import { edgeTestListenerRestricted } from "./edge/test-listener-restricted";
import { edgeTestListenerUnderTest } from "./edge/test-listener-under-test";
import { edgeWeightsSum } from "./edge/weights-sum";
import { observabilityAlarmActions } from "./observability/alarm-actions";
import { observabilityAlertsReachSomeone } from "./observability/alerts-reach-someone";
import { observabilityDatabaseAlarms } from "./observability/database-alarms";
import { observabilityRollbackTriggers } from "./observability/rollback-triggers";
import { observabilityTargetGroupAlarms } from "./observability/target-group-alarms";
import { observabilityTopicEncrypted } from "./observability/topic-encrypted";
import { releaseImageCommit } from "./release/image-commit";
import { releaseMetadata } from "./release/metadata";
import { releaseWindow } from "./release/window";
import { secretsDbLeastPrivilege } from "./secrets/db-least-privilege";
import { secretsKmsRotation } from "./secrets/kms-rotation";
import { secretsNoPlaintext } from "./secrets/no-plaintext";
import { secretsNoSecretOutputsInManifests } from "./secrets/no-secret-outputs-in-manifests";
import { secretsManagerCmk } from "./secrets/secrets-manager-cmk";
import { workloadsDropCapabilities } from "./workloads/drop-capabilities";
import { workloadsImmutableImage } from "./workloads/immutable-image";
import { workloadsMinReplicas } from "./workloads/min-replicas";
import { workloadsNoPrivilegeEscalation } from "./workloads/no-privilege-escalation";
import { workloadsNonRoot } from "./workloads/non-root";
import { workloadsPdb } from "./workloads/pdb";
import { workloadsProbes } from "./workloads/probes";
import { workloadsReadOnlyRootFs } from "./workloads/read-only-root-fs";
import { workloadsReadinessGates } from "./workloads/readiness-gates";
import { workloadsResources } from "./workloads/resources";
import { workloadsZeroDowntime } from "./workloads/zero-downtime";

export const allPolicies: ReadinessPolicy[] = [
  dataPitrRetention,
  dataStorageEncryptedCmk,
  dataNotPublic,
  dataDeletionSafety,
  dataDrRestoreTesting,
  dataMultiAz,
  dataKeepAutomatedBackups,
  dataBackupCoverage,
  dataBackupVaultEncrypted,
  dataVaultLock,
  dataCrossRegionCopy,
  dataRestoreTesting,
  dataReleaseSnapshot,
  dataMigrationAfterSnapshot,
  dataBucketPublicAccess,
  edgeHttpsListener,
  edgeHttpRedirectOnly,
  edgeHealthCheck,
  edgeWeightsSum,
  edgeSmokeTestedWeight,
  edgeSmokePathConnects,
  edgeTestListenerRestricted,
  edgeTestListenerUnderTest,
  edgeAlbHardening,
  edgeCertificateRegion,
  workloadsProbes,
  workloadsResources,
  workloadsNonRoot,
  workloadsReadOnlyRootFs,
  workloadsNoPrivilegeEscalation,
  workloadsDropCapabilities,
  workloadsImmutableImage,
  workloadsMinReplicas,
  workloadsPdb,
  workloadsZeroDowntime,
  workloadsReadinessGates,
  secretsNoPlaintext,
  secretsNoSecretOutputsInManifests,
  secretsManagerCmk,
  secretsKmsRotation,
  secretsDbLeastPrivilege,
  dataIntegrityBeforeTraffic,
  dataCrossRegionPitr,
  observabilityTargetGroupAlarms,
  observabilityAlarmActions,
  observabilityAlertsReachSomeone,
  observabilityDatabaseAlarms,
  observabilityRollbackTriggers,
  observabilityTopicEncrypted,
  releaseMetadata,
  releaseWindow,
  releaseImageCommit,
];
