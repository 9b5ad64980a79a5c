import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

export interface SmokeTestGateArgs {
  /** Base URL through the test listener, e.g. `https://api.example.com:8443`. */
  url: string;
  /** Host actually connected to (the ALB DNS name), so the check does not depend on public DNS. */
  connectTo: pulumi.Input<string>;
  /** Version `/version` must report. */
  expectVersion: string;
  /** Image under test: a new image re-runs the smoke test. */
  image: string;
  /** Give up after this long. @default 300 */
  deadlineSeconds?: number;
  /** Command that runs the smoke test CLI, relative to the project directory. @default "node bin/smoke-test.js" */
  cli?: string;
}

/**
 * Smoke-test gate (runbook 002 §5, DESIGN "Deployment order"): runs this project's smoke-test CLI against
 * the test listener (which forwards to the color under test) during `pulumi up`. It re-runs when the image
 * or release changes; a failure fails the `up`, and the production listener, which depends on this gate,
 * is never updated.
 */
export class SmokeTestGate extends pulumi.ComponentResource {
  public static readonly type = "app:release:SmokeTestGate";
  public readonly command: command.local.Command;

  constructor(name: string, args: SmokeTestGateArgs, opts?: pulumi.ComponentResourceOptions) {
    super(SmokeTestGate.type, name, {}, opts);
    const cli = args.cli ?? "node bin/smoke-test.js";
    this.command = new command.local.Command(
      `${name}-run`,
      {
        create: pulumi.interpolate`${cli} --url ${args.url} --connect-to ${args.connectTo} --expect-version ${args.expectVersion} --deadline ${args.deadlineSeconds ?? 300}`,
        triggers: [args.image, args.expectVersion],
      },
      { parent: this, dependsOn: opts?.dependsOn },
    );
    this.registerOutputs({ stdout: this.command.stdout });
  }
}
