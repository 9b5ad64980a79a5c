/** IAM roles for service accounts (IRSA): the trust policy that lets given Kubernetes service accounts assume a role. */

export interface ServiceAccountRef {
  namespace: string;
  name: string;
}

/** Identity of the cluster's IAM OIDC provider. */
export interface ClusterOidc {
  /** `arn:aws:iam::<account>:oidc-provider/<issuer>` */
  providerArn: string;
  /** Issuer host/path without `https://`. */
  issuer: string;
}

/** Trust policy allowing exactly these service accounts (and only through STS web identity) to assume a role. */
export function irsaTrustPolicy(oidc: ClusterOidc, accounts: ServiceAccountRef[]): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Federated: oidc.providerArn },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${oidc.issuer}:aud`]: "sts.amazonaws.com",
            [`${oidc.issuer}:sub`]: accounts.map((a) => `system:serviceaccount:${a.namespace}:${a.name}`),
          },
        },
      },
    ],
  });
}
