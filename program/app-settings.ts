/** What the program tells the application: its non-secret environment and the checks its smoke test runs. */
import * as pulumi from "@pulumi/pulumi";
import type { Color } from "../components/blue-green";
import { releaseId } from "../components/names";
import type { StackConfig } from "../config";
import type { AppChecks } from "../smoke/checks";

/** Non-secret environment of the API and worker (runbook 001 §3); object storage through IRSA, no keys. */
export function appEnvironment(
  config: StackConfig,
  bucket: pulumi.Output<string>,
  region: pulumi.Output<string>,
): Record<string, pulumi.Input<string>> {
  const env: Record<string, pulumi.Input<string>> = {
    ObjectStorage__Bucket: bucket,
    ObjectStorage__Region: region,
    ObjectStorage__Endpoint: pulumi.interpolate`https://s3.${region}.amazonaws.com`,
    Auth__Oidc__Enabled: String(config.auth.oidc.enabled),
    Auth__Saml__Enabled: String(config.auth.saml.enabled),
  };
  const o = config.auth.oidc;
  if (o.enabled) {
    if (o.issuer) env.Auth__Oidc__Issuer = o.issuer;
    if (o.audience) env.Auth__Oidc__Audience = o.audience;
    if (o.jwksJson) env.Auth__Oidc__JwksJson = o.jwksJson;
    o.roleMappings.forEach((m, i) => {
      env[`Auth__Oidc__RoleMappings__${i}`] = m;
    });
  }
  const s = config.auth.saml;
  if (s.enabled) {
    if (s.idpMetadataUrl) env.Auth__Saml__IdpMetadataUrl = s.idpMetadataUrl;
    if (s.expectedIssuer) env.Auth__Saml__ExpectedIssuer = s.expectedIssuer;
    if (s.serviceProviderEntityId) env.Auth__Saml__ServiceProviderEntityId = s.serviceProviderEntityId;
    env.Auth__Saml__IssuedPatTtlMinutes = String(s.issuedPatTtlMinutes);
    s.roleMappings.forEach((m, i) => {
      env[`Auth__Saml__RoleMappings__${i}`] = m;
    });
  }
  return env;
}

/** The application's checks as the smoke test and the driver run them (app:checks; smoke/checks.ts). */
export function appChecks(config: StackConfig, color: Color): AppChecks {
  const c = config.checks;
  const r = config.release;
  return {
    service: c.service,
    vars: { ...c.vars, releaseId: releaseId(r.version, r.commit), version: r.version, color },
    opsSummary: c.opsSummary.enabled ? { path: c.opsSummary.path, critical: c.opsSummary.critical } : undefined,
    flow: c.flow as AppChecks["flow"],
  };
}
