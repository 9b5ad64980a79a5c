/**
 * Where the gate runs from: the transpiled build/ (bin/gate.js, fast start) or the TypeScript sources
 * under ts-node (tests, `node -r ts-node/register`). Modules of this project are loaded from the same
 * place; another project directory (`--dir`) is loaded through ts-node.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";

export const COMPILED = __filename.endsWith(".js");
/** The project root (holds Pulumi.yaml and package.json). */
export const SOURCE_ROOT = path.resolve(__dirname, COMPILED ? "../.." : "..");
const BUILD_ROOT = path.join(SOURCE_ROOT, "build");

let tsNodeRegistered = !COMPILED;

/** Path of a project module: the compiled .js when running compiled and it belongs to this project. */
export function projectModule(dir: string, rel: string): string {
  if (COMPILED && path.resolve(dir) === SOURCE_ROOT && existsSync(path.join(BUILD_ROOT, `${rel}.js`)))
    return path.join(BUILD_ROOT, `${rel}.js`);
  if (!tsNodeRegistered) {
    require("ts-node").register({ transpileOnly: true });
    tsNodeRegistered = true;
  }
  return path.resolve(dir, rel);
}

/**
 * node arguments that run a policy pack's entry point. This project's pack runs from build/ (rebuilt first
 * when a source changed): the same code, transpiled the way ts-node would, without loading the TypeScript
 * compiler in the pack process, with tools/lazy-deps.js deferring what @pulumi/pulumi loads only for closure
 * serialization and tools/pack-memo.js decoding each resource's properties once instead of once per
 * policy (and accepting another stack config with `configure`, tools/pack-stack-config.js). Another pack
 * directory runs through ts-node, without either.
 */
export function packEntry(packDir: string): string[] {
  if (isProjectPack(packDir)) {
    (require(path.join(SOURCE_ROOT, "tools", "build.js")) as { ensureBuild(root: string): boolean }).ensureBuild(
      SOURCE_ROOT,
    );
    const preload = ["exit-with-parent.js", "code-cache-preload.js", "lazy-deps.js", "pack-memo.js"].flatMap((f) => [
      "-r",
      path.join(SOURCE_ROOT, "tools", f),
    ]);
    return [...preload, path.join(BUILD_ROOT, "policy", "index.js")];
  }
  return ["-r", require.resolve("ts-node/register/transpile-only"), path.join(packDir, "index.ts")];
}

/** This checkout's own pack (policy/), which runs from build/ with the gate's preloads. */
export function isProjectPack(packDir: string): boolean {
  return path.resolve(packDir) === path.join(SOURCE_ROOT, "policy");
}

/** The policy config entry that carries a stack config to the pack (tools/pack-stack-config.js). */
export const STACK_CONFIG_ENTRY: string = (
  require(path.join(SOURCE_ROOT, "tools", "pack-stack-config.js")) as { STACK_CONFIG_ENTRY: string }
).STACK_CONFIG_ENTRY;
