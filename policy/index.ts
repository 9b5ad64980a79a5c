/**
 * The CrossGuard policy pack. Run it with the CLI:
 *   pulumi preview --policy-pack policy --policy-pack-config policy/config/<stack>.json
 * Constructing PolicyPack starts the analyzer gRPC server (and reads package.json from the cwd), so this
 * is the only file that does it; the policies themselves are plain objects in policies/.
 */
import { PolicyPack } from "@pulumi/policy";
import { allPolicies } from "./policies";

new PolicyPack("app-readiness", {
  description: "Production readiness checklist of the API + worker rollout, enforced before pulumi up.",
  enforcementLevel: "mandatory",
  policies: allPolicies,
});
