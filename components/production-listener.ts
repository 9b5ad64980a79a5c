// @readiness smoke-before-traffic tls-everywhere: HTTPS listener whose weighted forward waits for the smoke test of the color under test
import { TAG } from "@app-rollout/shared";
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { BlueGreenState, Color } from "./blue-green";
import { Component } from "./component";

export interface ProductionListenerArgs {
  loadBalancerArn: pulumi.Input<string>;
  targetGroupArns: Record<Color, pulumi.Input<string>>;
  /** The stack's blue/green state: weights, and the live and under-test colors the listener is tagged with. */
  state: BlueGreenState;
  certificateArn: string;
  sslPolicy: string;
}

/**
 * The production HTTPS listener: a weighted forward to both target groups, weights from `live` and
 * `canaryWeight` (always summing to 100). It is the only resource a traffic step changes. Pass the smoke
 * test in `dependsOn` so a failed smoke test stops `pulumi up` before production traffic moves.
 */
/** The order of the forward's target groups (tag `rollout/forward-order`). */
const FORWARD_ORDER = ["blue", "green"] as const;

export class ProductionListener extends Component {
  public static readonly type = "app:edge:ProductionListener";
  public readonly listener: aws.lb.Listener;
  public readonly weights: Record<Color, number>;

  constructor(name: string, args: ProductionListenerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(ProductionListener.type, name, opts);
    this.weights = args.state.weights;
    this.listener = new aws.lb.Listener(
      `${name}-https`,
      {
        loadBalancerArn: args.loadBalancerArn,
        port: 443,
        protocol: "HTTPS",
        certificateArn: args.certificateArn,
        sslPolicy: args.sslPolicy,
        defaultActions: [
          {
            type: "forward",
            forward: {
              targetGroups: FORWARD_ORDER.map((c) => ({
                arn: args.targetGroupArns[c],
                weight: this.weights[c],
              })),
              stickiness: { enabled: false, duration: 1 },
            },
          },
        ],
        // What the weights mean, stated on the resource so policies judge the plan, not the config.
        tags: {
          [TAG.role]: "production",
          [TAG.live]: args.state.live,
          [TAG.underTest]: args.state.underTest,
          // Which color each forward entry is: known before the target groups exist (their ARNs are not), so
          // the pack can judge the weights at preview; checked against the ARNs whenever those are known.
          [TAG.forwardOrder]: FORWARD_ORDER.join(","),
        },
      },
      // Children do not inherit a component's dependsOn: forward it so the listener waits for the smoke test.
      { parent: this },
    );
    this.registerOutputs({ listenerArn: this.listener.arn, weights: this.weights });
  }
}
