// @readiness tls-everywhere alb-hardening: ALB with HTTP→HTTPS redirect only, invalid headers dropped, deletion protection from config
// @readiness health-probes: target groups health-check the ready path
// @readiness smoke-before-traffic: CIDR-restricted test listener on the color under test
import { TAG } from "@app-rollout/shared";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Color } from "./blue-green";
import { Component } from "./component";
import { physicalName } from "./names";

export interface BlueGreenLoadBalancerArgs {
  /** ALB deletion protection and Pulumi `protect` on the ALB (never replaced or deleted by an up). @default true */
  protectLoadBalancer?: boolean;
  /** Days ALB access logs are kept (in the bucket created here). @default 365 */
  accessLogRetentionDays?: number;
  /** Prefix of AWS names (ALB and target group names are limited to 32 characters). */
  namePrefix: string;
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Port of the API pods (target group port). */
  targetPort: number;
  /** Readiness path: the target group health check. */
  healthCheckPath: string;
  deregistrationDelaySeconds: number;
  certificateArn: string;
  sslPolicy: string;
  /** The color under test (blueGreenState().underTest): the test listener forwards to it. */
  testColor: Color;
  /** Port of the test listener. */
  testListenerPort: number;
  /** CIDRs allowed to reach the test listener. */
  testListenerCidrs: string[];
  /** Bucket for ALB access logs (created here when omitted). @default a new bucket */
  accessLogsBucket?: pulumi.Input<string>;
}

/**
 * The edge of blue/green: an internet-facing ALB with its own security group and access logs, one
 * `targetType: ip` target group per color (health check on the readiness path, explicit thresholds and
 * deregistration delay), an HTTP listener that only redirects to HTTPS, and a CIDR-restricted HTTPS test
 * listener that always forwards to the color under test (the release under way), the color the smoke
 * test checks before any production traffic moves. The production HTTPS listener is `ProductionListener`: it must wait for the smoke test.
 */
export class BlueGreenLoadBalancer extends Component {
  public static readonly type = "app:edge:BlueGreenLoadBalancer";
  public readonly loadBalancer: aws.lb.LoadBalancer;
  public readonly targetGroups: Record<Color, aws.lb.TargetGroup>;
  public readonly testListener: aws.lb.Listener;
  public readonly securityGroupId: pulumi.Output<string>;
  public readonly dnsName: pulumi.Output<string>;
  public readonly arnSuffix: pulumi.Output<string>;

  constructor(name: string, args: BlueGreenLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(BlueGreenLoadBalancer.type, name, opts);
    const a = normalizeArgs(args);
    const sg = this.createSecurityGroup(name, a);
    const logsBucket = a.accessLogsBucket || this.createAccessLogsBucket(name, a);
    this.loadBalancer = this.createLoadBalancer(name, a, sg, logsBucket);
    this.targetGroups = {
      blue: this.createTargetGroup(name, a, "blue"),
      green: this.createTargetGroup(name, a, "green"),
    };
    this.createRedirectListener(name, this.loadBalancer);
    this.testListener = this.createTestListener(name, a, this.loadBalancer, this.targetGroups);

    this.securityGroupId = sg.id;
    this.dnsName = this.loadBalancer.dnsName;
    this.arnSuffix = this.loadBalancer.arnSuffix;
    this.registerOutputs({
      dnsName: this.dnsName,
      arnSuffix: this.arnSuffix,
      blueTargetGroupArn: this.targetGroups.blue.arn,
      greenTargetGroupArn: this.targetGroups.green.arn,
    });
  }

  /** The ALB's security group: public 80/443, the test listener from its CIDRs, out to the API pods. */
  private createSecurityGroup(name: string, a: NormalizedArgs): aws.ec2.SecurityGroup {
    const p = { parent: this };
    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { vpcId: a.vpcId, description: `ALB ${a.namePrefix}`, revokeRulesOnDelete: true },
      p,
    );
    for (const port of [80, 443]) {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-in-${port}`,
        {
          securityGroupId: sg.id,
          cidrIpv4: "0.0.0.0/0",
          ipProtocol: "tcp",
          fromPort: port,
          toPort: port,
          description: `public ${port}`,
        },
        p,
      );
    }
    this.createTestAndTargetRules(name, a, sg);
    return sg;
  }

  private createTestAndTargetRules(name: string, a: NormalizedArgs, sg: aws.ec2.SecurityGroup): void {
    const p = { parent: this };
    a.testListenerCidrs.forEach((cidr, i) => {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-in-test-${i}`,
        {
          securityGroupId: sg.id,
          cidrIpv4: cidr,
          ipProtocol: "tcp",
          fromPort: a.testListenerPort,
          toPort: a.testListenerPort,
          description: "test listener (smoke tests)",
        },
        p,
      );
    });
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-out-targets`,
      {
        securityGroupId: sg.id,
        cidrIpv4: "0.0.0.0/0",
        ipProtocol: "tcp",
        fromPort: a.targetPort,
        toPort: a.targetPort,
        description: "to API pods",
      },
      p,
    );
  }

  /** The access-logs bucket (when none is given); returns its name once its policy lets the ELB write. */
  private createAccessLogsBucket(name: string, a: NormalizedArgs): pulumi.Output<string> {
    const p = { parent: this };
    // ALB access logs support SSE-S3 only (not SSE-KMS): this bucket is the one exception to CMK encryption.
    const bucket = new aws.s3.Bucket(`${name}-logs`, { forceDestroy: false }, p);
    const block = new aws.s3.BucketPublicAccessBlock(
      `${name}-logs-public-access`,
      {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      p,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-logs-sse`,
      { bucket: bucket.id, rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }] },
      p,
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-logs-lifecycle`,
      {
        bucket: bucket.id,
        rules: [
          {
            id: "expire-logs",
            status: "Enabled",
            filter: {},
            expiration: { days: a.accessLogRetentionDays },
          },
        ],
      },
      p,
    );
    return this.createAccessLogsPolicy(name, bucket, block).bucket;
  }

  private createAccessLogsPolicy(
    name: string,
    bucket: aws.s3.Bucket,
    block: aws.s3.BucketPublicAccessBlock,
  ): aws.s3.BucketPolicy {
    const p = { parent: this };
    const elb = aws.elb.getServiceAccountOutput({}, p);
    return new aws.s3.BucketPolicy(
      `${name}-logs-policy`,
      {
        bucket: bucket.id,
        policy: pulumi.jsonStringify({
          Version: "2012-10-17",
          Statement: [
            {
              Sid: "ElbLogDelivery",
              Effect: "Allow",
              Principal: { AWS: elb.arn },
              Action: "s3:PutObject",
              Resource: pulumi.interpolate`${bucket.arn}/*`,
            },
            {
              Sid: "DenyInsecureTransport",
              Effect: "Deny",
              Principal: "*",
              Action: "s3:*",
              Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
              Condition: { Bool: { "aws:SecureTransport": "false" } },
            },
          ],
        }),
      },
      { ...p, dependsOn: [block] },
    );
  }

  private createLoadBalancer(
    name: string,
    a: NormalizedArgs,
    sg: aws.ec2.SecurityGroup,
    logsBucket: pulumi.Input<string>,
  ): aws.lb.LoadBalancer {
    const protect = a.protectLoadBalancer;
    return new aws.lb.LoadBalancer(
      `${name}-alb`,
      {
        // Length-aware and unique per stack (components/names.ts); protected where protectLoadBalancer, so never replaced there.
        name: physicalName([a.namePrefix], 32),
        loadBalancerType: "application",
        internal: false,
        securityGroups: [sg.id],
        subnets: a.publicSubnetIds,
        dropInvalidHeaderFields: true,
        enableDeletionProtection: protect,
        idleTimeout: 60,
        accessLogs: { bucket: logsBucket, enabled: true, prefix: "alb" },
      },
      { parent: this, protect },
    );
  }

  private createTargetGroup(name: string, a: NormalizedArgs, color: Color): aws.lb.TargetGroup {
    return new aws.lb.TargetGroup(
      `${name}-tg-${color}`,
      {
        // No explicit name: the provider auto-names it (logical name + random suffix), so a replacement
        // (port, protocol, VPC, target type) creates the new group first and the listener moves to it. A
        // fixed name would make the bridge delete first (pkg/tfbridge/schema.go: explicit names of
        // auto-nameable inputs) — impossible while a listener uses it — and `.slice(0, 32)` could give both
        // colors the same name. Alarms and dashboards use `arnSuffix`, the driver the ARNs.
        vpcId: a.vpcId,
        port: a.targetPort,
        protocol: "HTTP",
        targetType: "ip",
        deregistrationDelay: a.deregistrationDelaySeconds,
        healthCheck: {
          enabled: true,
          path: a.healthCheckPath,
          protocol: "HTTP",
          port: "traffic-port",
          matcher: "200",
          interval: 10,
          timeout: 5,
          healthyThreshold: 3,
          unhealthyThreshold: 2,
        },
        tags: { [TAG.color]: color },
      },
      { parent: this },
    );
  }

  /** Port 80 only redirects to HTTPS. */
  private createRedirectListener(name: string, loadBalancer: aws.lb.LoadBalancer): aws.lb.Listener {
    return new aws.lb.Listener(
      `${name}-http`,
      {
        loadBalancerArn: loadBalancer.arn,
        port: 80,
        protocol: "HTTP",
        defaultActions: [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }],
      },
      { parent: this },
    );
  }

  private createTestListener(
    name: string,
    a: NormalizedArgs,
    loadBalancer: aws.lb.LoadBalancer,
    targetGroups: Record<Color, aws.lb.TargetGroup>,
  ): aws.lb.Listener {
    return new aws.lb.Listener(
      `${name}-test`,
      {
        loadBalancerArn: loadBalancer.arn,
        port: a.testListenerPort,
        protocol: "HTTPS",
        certificateArn: a.certificateArn,
        sslPolicy: a.sslPolicy,
        defaultActions: [{ type: "forward", targetGroupArn: targetGroups[a.testColor].arn }],
        tags: { [TAG.role]: "test", [TAG.color]: a.testColor },
      },
      { parent: this },
    );
  }
}

type NormalizedArgs = BlueGreenLoadBalancerArgs & { protectLoadBalancer: boolean; accessLogRetentionDays: number };

/** Defaults applied (each `??`, so an explicit `undefined` still takes the default). */
function normalizeArgs(args: BlueGreenLoadBalancerArgs): NormalizedArgs {
  return {
    ...args,
    protectLoadBalancer: args.protectLoadBalancer ?? true,
    accessLogRetentionDays: args.accessLogRetentionDays ?? 365,
  };
}
