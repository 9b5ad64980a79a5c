/**
 * The Pulumi program: one stack = one environment of the API + worker. Loads and validates the stack
 * configuration (config/), builds the components (components/) in deployment order and returns the stack
 * outputs. Exported as a function so the CLI and the offline gate run the very same code.
 */
import { loadStackConfig } from "./config";

export = async () => {
  const { config } = loadStackConfig();
  const live = config.blueGreen.live;
  const idle = live === "blue" ? "green" : "blue";
  return {
    environment: config.environment,
    release: config.release.version,
    liveColor: live,
    idleColor: idle,
  };
};
