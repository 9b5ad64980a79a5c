// @readiness smoke-before-traffic: in-cluster smoke test Job of the color under test
import { LABEL } from "@app-rollout/shared";
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { AppChecks } from "../smoke/checks";
import type { Color } from "./blue-green";
import { Component } from "./component";
import { smokeJobName } from "./names";
import { APP_LABEL } from "./namespace";
import { hardenedContainer, hardenedPodSpec, type ResourceSizes } from "./pod-spec";

export interface SmokeTestArgs {
  /** The color under test: the Job checks its Service, from inside the cluster. */
  color: Color;
  /** Service of the color (`api-<color>`) and its port. */
  serviceName: string;
  port: number;
  namespace: pulumi.Input<string>;
  namespaceName: string;
  provider: k8s.Provider;
  /** Release id (names the Job: one run per release and color). */
  releaseId: string;
  /** Version `/version` must report. */
  expectVersion: string;
  /** Image of the smoke-test runner (this project's smoke/ CLI, built by the smoke-image workflow). */
  runnerImage: string;
  healthPaths: { live: string; ready: string; version: string };
  /** Give up after this long. @default 300 */
  deadlineSeconds?: number;
  /** The application's checks (service name, ops summary, smoke flow), as `SMOKE_CHECKS`. @default none */
  checks?: AppChecks;
  /**
   * Where the admin token is: a key of the Kubernetes Secret External Secrets keeps in sync with Secrets
   * Manager. Mounted as `SMOKE_ADMIN_TOKEN` (never in args or the manifest). @default none
   */
  adminToken?: { secretName: string; key: string };
  /** @default 100m CPU, 128Mi */
  resources?: ResourceSizes;
}

export const SMOKE_COMPONENT = { [LABEL.component]: "smoke" };

/**
 * The smoke test of the color under test (runbooks 001 §4.5, 002 §5; DESIGN "Deployment order"), run as a
 * Kubernetes Job inside the cluster against the color's Service. It runs where it can reach the color: the
 * machine running `pulumi up` (a CI runner on the internet) cannot reach pods, and an internet-facing ALB
 * sees public source addresses only, so a test listener restricted to private ranges is unreachable from
 * anywhere. pulumi-kubernetes waits for the Job to complete (`pulumi.com/timeoutSeconds` covers the
 * deadline) and fails the `up` when it fails, before the production listener — which depends on this Job —
 * moves any traffic. Named by release and color, so it runs once per release and never again on a
 * rollback; `pulumi.com/replaceUnready` lets a retry replace a failed run instead of blocking every later up.
 */
export class SmokeTest extends Component {
  public static readonly type = "app:release:SmokeTest";
  public readonly job: k8s.batch.v1.Job;
  public readonly jobName: string;
  public readonly url: string;

  constructor(name: string, args: SmokeTestArgs, opts?: pulumi.ComponentResourceOptions) {
    super(SmokeTest.type, name, opts);
    const deadline = args.deadlineSeconds ?? 300;
    this.jobName = smokeJobName(args.releaseId, args.color);
    this.url = `http://${args.serviceName}.${args.namespaceName}.svc.cluster.local:${args.port}`;
    this.job = this.createJob(name, args, { jobName: this.jobName, url: this.url, deadline });
    this.registerOutputs({ jobName: this.jobName, url: this.url });
  }

  private createJob(name: string, args: SmokeTestArgs, run: SmokeRun): k8s.batch.v1.Job {
    const labels = {
      ...APP_LABEL,
      ...SMOKE_COMPONENT,
      [LABEL.color]: args.color,
      [LABEL.releaseId]: args.releaseId,
    };
    return new k8s.batch.v1.Job(
      `${name}-${args.releaseId}`,
      {
        metadata: {
          name: run.jobName,
          namespace: args.namespace,
          labels,
          annotations: {
            // pulumi-kubernetes' Job await would give up after its default; the smoke test decides when to fail.
            "pulumi.com/timeoutSeconds": String(run.deadline + 120),
            "pulumi.com/replaceUnready": "true",
          },
        },
        spec: {
          backoffLimit: 0,
          activeDeadlineSeconds: run.deadline + 60,
          template: {
            metadata: { labels },
            spec: hardenedPodSpec({
              restartPolicy: "Never",
              automountServiceAccountToken: false,
              containers: [smokeContainer(args, run)],
            }),
          },
        },
      },
      { parent: this, provider: args.provider },
    );
  }
}

/** One run of the smoke test: the Job's name, the URL it checks and its deadline in seconds. */
interface SmokeRun {
  jobName: string;
  url: string;
  deadline: number;
}

/** The runner: checks and admin token as environment, the URL, expected version and paths as arguments. */
function smokeContainer(args: SmokeTestArgs, run: SmokeRun): k8s.types.input.core.v1.Container {
  return hardenedContainer(
    {
      name: "smoke",
      image: args.runnerImage,
      env: [
        ...(args.checks ? [{ name: "SMOKE_CHECKS", value: JSON.stringify(args.checks) }] : []),
        ...(args.adminToken
          ? [
              {
                name: "SMOKE_ADMIN_TOKEN",
                valueFrom: {
                  secretKeyRef: { name: args.adminToken.secretName, key: args.adminToken.key },
                },
              },
            ]
          : []),
      ],
      args: [
        "--url",
        run.url,
        "--expect-version",
        args.expectVersion,
        "--deadline",
        String(run.deadline),
        "--ready-path",
        args.healthPaths.ready,
        "--live-path",
        args.healthPaths.live,
        "--version-path",
        args.healthPaths.version,
      ],
    },
    args.resources ?? { cpu: "100m", memory: "128Mi" },
  );
}
