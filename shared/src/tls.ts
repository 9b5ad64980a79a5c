/**
 * The ALB TLS policies the readiness checklist allows (TLS 1.2+ with forward secrecy, or TLS 1.3): one
 * definition, read by the pack (edge-https-listener's default) and by the config schema (app:tls.sslPolicy),
 * so a config the schema accepts is never refused by the pack. No imports: the schema loads it cheaply.
 */
export const DEFAULT_SSL_POLICIES = [
  "ELBSecurityPolicy-TLS13-1-2-2021-06",
  "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
  "ELBSecurityPolicy-TLS13-1-3-2021-06",
  "ELBSecurityPolicy-FS-1-2-Res-2020-10",
] as const;
