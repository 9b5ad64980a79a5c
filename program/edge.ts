/** Edge: the ALB, one target group per color, HTTP→HTTPS redirect, the test listener, the production listener. */
import type { Resource } from "@pulumi/pulumi";
import { BlueGreenLoadBalancer } from "../components/blue-green-load-balancer";
import { ProductionListener } from "../components/production-listener";
import type { Ctx } from "./context";

export function createEdge({ config, prefix, net, bg, protection }: Ctx) {
  return new BlueGreenLoadBalancer("edge", {
    protectLoadBalancer: protection.protect,
    accessLogRetentionDays: protection.accessLogRetentionDays,
    namePrefix: prefix,
    vpcId: net.vpcId,
    publicSubnetIds: net.publicSubnetIds,
    targetPort: config.api.port,
    healthCheckPath: config.api.healthPaths.ready,
    deregistrationDelaySeconds: config.api.deregistrationDelaySeconds,
    certificateArn: config.tls.certificateArn,
    sslPolicy: config.tls.sslPolicy,
    testColor: bg.underTest,
    testListenerPort: config.tls.testListenerPort,
    testListenerCidrs: config.tls.testListenerCidrs,
  });
}

/** The production listener: its weights move only after `smokeTest` (the color under test) passed. */
export function createTraffic({ config, bg }: Ctx, lb: BlueGreenLoadBalancer, smokeTest: Resource) {
  return new ProductionListener(
    "traffic",
    {
      loadBalancerArn: lb.loadBalancer.arn,
      targetGroupArns: { blue: lb.targetGroups.blue.arn, green: lb.targetGroups.green.arn },
      state: bg,
      certificateArn: config.tls.certificateArn,
      sslPolicy: config.tls.sslPolicy,
    },
    { dependsOn: [smokeTest] },
  );
}
