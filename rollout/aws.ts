/** AlarmSource and CertificateSource over the AWS SDK (credentials from the environment). */
import { ACMClient, DescribeCertificateCommand } from "@aws-sdk/client-acm";
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { UnavailableError } from "./errors";
import type { AlarmSource, AlarmState, CertificateSource } from "./ports";

function awsError(e: unknown, what: string): Error {
  const err = e as { name?: string; message?: string };
  if (err.name === "CredentialsProviderError" || /credential/i.test(err.message ?? ""))
    return new UnavailableError(
      `no AWS credentials for ${what}: use the OIDC role in CI or 'aws sso login' locally. Nothing was changed.`,
    );
  return new UnavailableError(`${what} failed: ${err.name ?? ""} ${err.message ?? e}`);
}

export class CloudWatchAlarms implements AlarmSource {
  constructor(private readonly client = new CloudWatchClient({})) {}

  async states(names: string[]): Promise<Record<string, AlarmState>> {
    try {
      const r = await this.client.send(
        new DescribeAlarmsCommand({ AlarmNames: names, AlarmTypes: ["CompositeAlarm", "MetricAlarm"] }),
      );
      const out: Record<string, AlarmState> = {};
      for (const a of [...(r.CompositeAlarms ?? []), ...(r.MetricAlarms ?? [])])
        if (a.AlarmName && a.StateValue) out[a.AlarmName] = a.StateValue as AlarmState;
      return out;
    } catch (e) {
      throw awsError(e, "CloudWatch DescribeAlarms");
    }
  }
}

export class AcmCertificates implements CertificateSource {
  constructor(private readonly client = new ACMClient({})) {}

  async notAfter(arn: string): Promise<Date> {
    try {
      const r = await this.client.send(new DescribeCertificateCommand({ CertificateArn: arn }));
      const d = r.Certificate?.NotAfter;
      if (!d) throw new Error(`certificate ${arn} has no expiry (not issued yet? status ${r.Certificate?.Status})`);
      return d;
    } catch (e) {
      throw awsError(e, "ACM DescribeCertificate");
    }
  }
}
