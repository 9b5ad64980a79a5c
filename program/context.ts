/**
 * What every part of the program reads: the validated config and secrets, the stack, the name prefix,
 * the network, the cluster's IRSA trust, the blue/green state, the Kubernetes provider, and the
 * protection settings of the environment — decided here, once, so components take explicit settings.
 */
import { threshold, thresholdNumber } from "@app-rollout/shared";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type BlueGreenState, blueGreenState } from "../components/blue-green";
import type { ClusterOidc } from "../components/irsa";
import { namePrefix } from "../components/names";
import { loadStackConfig, type StackConfig, type StackSecrets } from "../config";

export interface Network {
  vpcId: pulumi.Output<string>;
  privateSubnetIds: pulumi.Output<string[]>;
  publicSubnetIds: pulumi.Output<string[]>;
  clusterSecurityGroupId: pulumi.Output<string>;
}

/** What the environment decides about deletion and retention (prod keeps everything; staging is cheaper). */
export interface Protection {
  /** Pulumi `protect` + deletion protection on the database, the ALB and the object bucket. */
  protect: boolean;
  /** Days a deleted Secrets Manager secret can be recovered. */
  secretRecoveryDays: number;
  /** Days ALB access logs are kept. */
  accessLogRetentionDays: number;
}

export interface Ctx {
  config: StackConfig;
  secrets: StackSecrets;
  stack: string;
  prefix: string;
  net: Network;
  oidc: ClusterOidc;
  region: pulumi.Output<string>;
  account: pulumi.Output<string>;
  bg: BlueGreenState;
  k8sProvider: k8s.Provider;
  protection: Protection;
}

/** VPC ids from config, or from the platform stack's outputs. */
function network(cfg: StackConfig["network"]): Network {
  if (cfg.platformStack) {
    const platform = new pulumi.StackReference(cfg.platformStack);
    return {
      vpcId: platform.requireOutput("vpcId") as pulumi.Output<string>,
      privateSubnetIds: platform.requireOutput("privateSubnetIds") as pulumi.Output<string[]>,
      publicSubnetIds: platform.requireOutput("publicSubnetIds") as pulumi.Output<string[]>,
      clusterSecurityGroupId: platform.requireOutput("clusterSecurityGroupId") as pulumi.Output<string>,
    };
  }
  // The schema guarantees all four ids are set when platformStack is not.
  return {
    vpcId: pulumi.output(cfg.vpcId!),
    privateSubnetIds: pulumi.output(cfg.privateSubnetIds!),
    publicSubnetIds: pulumi.output(cfg.publicSubnetIds!),
    clusterSecurityGroupId: pulumi.output(cfg.clusterSecurityGroupId!),
  };
}

export function protectionOf(environment: StackConfig["environment"]): Protection {
  const prod = environment === "prod";
  return {
    protect: threshold("deletion-safety", "requireProtect", environment) === true,
    secretRecoveryDays: thresholdNumber("secret-recovery", "minimumRecoveryDays", environment),
    accessLogRetentionDays: prod ? 365 : 30,
  };
}

export function loadContext(): Ctx {
  const { config, secrets } = loadStackConfig();
  const stack = pulumi.getStack();
  return {
    config,
    secrets,
    stack,
    prefix: namePrefix(config.cluster.namespace, stack),
    net: network(config.network),
    oidc: { providerArn: config.cluster.oidcProviderArn, issuer: config.cluster.oidcIssuer },
    region: aws.getRegionOutput().region,
    account: aws.getCallerIdentityOutput().accountId,
    // One computed blue/green state: every listener, the smoke test and the replicas read it.
    bg: blueGreenState(config.blueGreen, config.release.commit),
    k8sProvider: new k8s.Provider("k8s", { kubeconfig: secrets.kubeconfig, enableServerSideApply: true }),
    protection: protectionOf(config.environment),
  };
}
