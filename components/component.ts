/**
 * The base of every component (modelled on SST's platform/src/components/component.ts): one transformation
 * that applies, in one place, what every component promises about its children.
 *
 * - **Logical names.** A child's name must start with its parent's name (`db` → `db-instance`), so URNs
 *   say which component owns a resource and two components can never register the same child name. A
 *   violation is a programming error and fails the program with the component and the child named.
 * - **Options forwarded to direct children.** `dependsOn` (Pulumi does not pass a component's dependsOn to
 *   its children: a child would be created before what the component waits for) and `retainOnDelete`
 *   (not inherited either). `protect` and providers are inherited by the SDK itself (resource.ts: a child
 *   without `protect` takes its parent's), so they are not repeated here.
 */
import * as pulumi from "@pulumi/pulumi";

function asArray(d: pulumi.ResourceOptions["dependsOn"]): pulumi.Input<pulumi.Resource>[] | undefined {
  if (d === undefined) return undefined;
  if (pulumi.Output.isInstance(d)) return undefined;
  return Array.isArray(d) ? d : [d as pulumi.Input<pulumi.Resource>];
}

/** `a` and `b` merged; an Output-valued list is kept as one input (the SDK resolves it). */
function mergeDependsOn(
  a: pulumi.ResourceOptions["dependsOn"],
  b: pulumi.ResourceOptions["dependsOn"],
): pulumi.ResourceOptions["dependsOn"] {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const [x, y] = [asArray(a), asArray(b)];
  if (x && y) return [...x, ...y];
  return pulumi
    .all([a, b] as pulumi.Input<unknown>[])
    .apply(([p, q]) => [
      ...((Array.isArray(p) ? p : [p]) as pulumi.Resource[]),
      ...((Array.isArray(q) ? q : [q]) as pulumi.Resource[]),
    ]);
}

export class ChildNameError extends Error {
  override name = "ChildNameError";
}

function isResource(r: pulumi.Resource | undefined, type: string, name: string): boolean {
  return r !== undefined && pulumi.resourceType(r) === type && pulumi.resourceName(r) === name;
}

function enforce(
  type: string,
  name: string,
  opts: pulumi.ComponentResourceOptions | undefined,
): pulumi.ResourceTransformation {
  return (args) => {
    if (args.type === type && args.name === name) return undefined;
    const parent = args.opts.parent;
    const parentName = parent ? pulumi.resourceName(parent) : undefined;
    if (parentName !== undefined && !args.name.startsWith(parentName))
      throw new ChildNameError(
        `In component "${name}" (${type}), the logical name of "${args.name}" (${args.type}) does not start with its parent's name "${parentName}".`,
      );
    if (!isResource(parent, type, name)) return undefined;
    return {
      props: args.props,
      opts: {
        ...args.opts,
        dependsOn: mergeDependsOn(args.opts.dependsOn, opts?.dependsOn),
        retainOnDelete: args.opts.retainOnDelete ?? opts?.retainOnDelete,
      },
    };
  };
}

export class Component extends pulumi.ComponentResource {
  constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
    super(type, name, {}, { ...opts, transformations: [enforce(type, name, opts), ...(opts?.transformations ?? [])] });
  }
}
